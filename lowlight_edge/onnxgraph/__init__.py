"""Low-level ONNX helpers shared by export, quantize, engines and metrics: file checks, graph walks, metadata.

It sits below every package that reads or writes ONNX (as Polygraphy's `backend/onnx` sits below its
ONNX Runtime and TensorRT backends); of the project it imports only lower layers: `errors`, `fileio`, and
`raw` (a network's input convention and a pipeline graph's CFA and colour inputs are defined there).
"""
