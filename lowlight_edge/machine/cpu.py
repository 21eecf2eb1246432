"""What the CPU can do for INT8 and BF16.

INT8: dot-product instructions decide whether 8-bit weights are safe everywhere. x86 CPUs without VNNI (AVX2 and
plain AVX-512 parts) multiply u8 x s8 pairs into 16-bit sums that saturate (vpmaddubsw), so a runtime's INT8
kernels lose accuracy on full-range 8-bit weights; VNNI (avx512_vnni, avx_vnni, AMX) and Arm's dot product
(asimddp) accumulate in 32 bits.

BF16: AVX-512 BF16 and AMX compute it natively (the shared measurement on such a CPU: OpenVINO's FP32 graph in
0.52x the time with bf16); elsewhere OpenVINO would emulate it, slower than f32, so it is offered only here.
"""

import platform
from functools import cache

DOT_PRODUCT_FLAGS = {"avx512_vnni", "avx_vnni", "amx_int8", "asimddp"}
BF16_FLAGS = {"avx512_bf16", "amx_bf16"}


def cpu_flags() -> set[str]:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith(("flags", "Features")):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


@cache
def int8_dot_product() -> bool:
    """True when the CPU accumulates INT8 products in 32 bits (no 16-bit saturation); unknown counts as False
    on x86 and True elsewhere (Arm cores with NEON widen products to 32 bits)."""
    flags = cpu_flags()
    if flags:
        return bool(flags & DOT_PRODUCT_FLAGS)
    return platform.machine().lower() not in ("x86_64", "amd64", "i686", "x86")


@cache
def bf16_native() -> str | None:
    """None when the CPU computes BF16 natively (AVX-512 BF16 or AMX), else why not."""
    if cpu_flags() & BF16_FLAGS:
        return None
    return "this CPU computes no BF16 natively (no avx512_bf16 or amx_bf16): OpenVINO would emulate it, slower than f32"
