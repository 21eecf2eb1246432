"""Reduced precision decided in the ONNX graph: FP16, INT8 Q/DQ with calibration, sensitivity fallback.

Like onnxruntime's quantization package: `fp16` (overflow-safe conversion), `int8` (calibrate, place Q/DQ),
`calibration_cache` (ranges reused across runs), `sensitivity` (keep the layers that break an LPIPS budget
in float), and `rewrites/` (exact graph rewrites that make a graph quantize well).
"""
