"""Loaded as `sitecustomize` by tests/test_gpu_script.py into every Python process of
benchmarks/scripts/gpu-tensorrt.sh: `tensorrt` becomes the stand-in generated from NVIDIA's real bindings
(tests/trt_standin.py; its engines compute with ONNX Runtime) and CUDA becomes host memory. It fails where the real
bindings would (a missing member, a wrong call, a shape outside the profile, an I/O type without a numpy type);
nothing runs on a GPU. Inert unless LOWLIGHT_EDGE_TRT_STANDIN_API names the API JSON to build it from.
"""

import os
import sys
from pathlib import Path

API = os.environ.get("LOWLIGHT_EDGE_TRT_STANDIN_API")
if API:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: trt_standin
    from trt_standin import HostCuda, StandInModule, load_api

    from lowlight_edge.engines.trt import cuda_memory

    module = StandInModule(load_api(Path(API)))
    sys.modules["tensorrt"] = module
    memory = HostCuda()
    module.simulation.memory = memory
    cuda_memory.open_cuda = lambda: HostCuda(shared=memory)  # before build.py and runner.py import it
