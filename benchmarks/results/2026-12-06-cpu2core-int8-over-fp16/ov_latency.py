"""OpenVINO CPU latency of the INT8-over-FP16 and INT8-over-FP32 graphs at 1x4x512x512, interleaved, median of 6.

Run directly on OpenVINO (the toolkit's runner refuses 8-bit weights on CPUs without VNNI because they saturate:
the outputs are wrong there, the timing is not). Usage: python ov_latency.py FOLDER (run.sh's output folder)."""

import sys
import time

import numpy as np
import openvino as ov

folder = sys.argv[1]
core = ov.Core()
x = np.random.default_rng(0).random((1, 4, 512, 512), dtype=np.float32) * 0.2
requests = {}
for base in ("fp16", "fp32"):
    compiled = core.compile_model(f"{folder}/default.int8-{base}.onnx", "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    requests[base] = compiled.create_infer_request()
    requests[base].infer({0: x})  # warm-up
times = {base: [] for base in requests}
for _ in range(6):
    for base, request in requests.items():
        start = time.perf_counter()
        request.infer({0: x})
        times[base].append((time.perf_counter() - start) * 1e3)
medians = {base: float(np.median(t)) for base, t in times.items()}
print(f"OpenVINO {ov.__version__} CPU, 1x4x512x512, median of 6 (ms): " + ", ".join(f"int8-over-{b} {m:.1f}"
      for b, m in medians.items()) + f"; over-fp16 / over-fp32 {medians['fp16'] / medians['fp32']:.2f}")
