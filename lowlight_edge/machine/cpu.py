"""What the CPU can do for INT8: dot-product instructions decide whether 8-bit weights are safe everywhere.

x86 CPUs without VNNI (AVX2 and plain AVX-512 parts) multiply u8 x s8 pairs into 16-bit sums that saturate
(vpmaddubsw), so a runtime's INT8 kernels lose accuracy on full-range 8-bit weights; VNNI (avx512_vnni,
avx_vnni, AMX) and Arm's dot product (asimddp) accumulate in 32 bits.
"""

import platform
from functools import cache

DOT_PRODUCT_FLAGS = {"avx512_vnni", "avx_vnni", "amx_int8", "asimddp"}


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
