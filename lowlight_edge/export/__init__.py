"""Loaders that produce ONNX artefacts: checkpoint -> FP32 ONNX (later FP16 and INT8 Q/DQ)."""
