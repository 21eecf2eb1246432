"""The CLI's commands, one file each: `register(subparsers)` declares the flags, `run(args)` calls one library
function and prints. Library modules are imported inside `run`, so that `lowlight-edge --help` answers without
loading ONNX Runtime or PyTorch; shared flags are option groups in `options.py`.
"""
