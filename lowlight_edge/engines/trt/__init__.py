"""TensorRT engines: strongly typed builds (10.3+ and 11.x), metadata and compatibility, the pycuda runtime.

Everything that needs no GPU (profiles, metadata, compatibility decisions, version gates, the trtexec
command line) lives in small modules testable on a CPU; `build.py`, `cuda_memory.py` and `runner.py`
are the thin layer over TensorRT and CUDA.
"""
