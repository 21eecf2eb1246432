"""Exact, quantization-friendly graph rewrites: the FP32 output is unchanged (to 1e-5), the INT8 one improves."""
