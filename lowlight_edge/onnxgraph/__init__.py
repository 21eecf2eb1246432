"""Low-level ONNX helpers shared by export, quantize, engines and metrics: file checks, graph walks, metadata.

It sits below every package that reads or writes ONNX (as Polygraphy's `backend/onnx` sits below its
ONNX Runtime and TensorRT backends) and imports nothing of the project but `errors`.
"""
