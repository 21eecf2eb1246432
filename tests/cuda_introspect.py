"""Dump the functions (parameter names, defaults) and cudaMemcpyKind members of a cuda-python runtime module, as JSON.
Usage: python cuda_introspect.py MODULE   (cuda.cudart for cuda-python <= 12.6.0, else cuda.bindings.runtime)"""

import importlib
import inspect
import json
import sys

module = importlib.import_module(sys.argv[1])
functions = {}
for name in dir(module):
    if not name.startswith("cuda"):
        continue
    obj = getattr(module, name)
    if callable(obj) and not isinstance(obj, type):
        try:
            params = inspect.signature(obj).parameters.values()
        except (TypeError, ValueError):
            continue
        functions[name] = [{"name": p.name, "default": p.default is not p.empty} for p in params]
kinds = [k for k in dir(module.cudaMemcpyKind) if k.startswith("cudaMemcpy")]
json.dump({"module": sys.argv[1], "functions": functions, "cudaMemcpyKind": kinds}, sys.stdout)
