"""Export's defaults, in a module of their own so that `--help` can show them without loading ONNX or torch."""

MIN_OPSET = 17  # the oldest opset export writes (DepthToSpace CRD, the ops TensorRT 10.3's parser takes)
DEFAULT_TOLERANCE = 1e-4  # the parity gate: max |ONNX - PyTorch| accepted
