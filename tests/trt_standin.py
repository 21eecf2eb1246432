"""A strict stand-in `tensorrt` module generated from the API of NVIDIA's real bindings, to run the project's
TensorRT code on a CPU.

Every class, method, property and enum member comes from the JSON that `trt_introspect.py` dumps from the real
`tensorrt.so` of one version (see trt_bindings.py): a member that version lacks raises AttributeError, a call whose
arguments fit none of the real overloads (count, names) raises TypeError, assigning a read-only property raises
AttributeError. What the objects *do* is a small simulation (`Simulation`): the builder records the ONNX file's I/O
and the optimization profile, the engine answers shape queries from them, and an execution context accepts input
shapes only inside the profile, as TensorRT does. With `Simulation.memory` set to a HostCuda, `execute_async_v3`
computes: it reads the bound input buffers as the engine's I/O types and shapes, runs the ONNX file the plan was
parsed from with ONNX Runtime, and writes the output buffer, so the runner's bytes in and out are checked against a
real computation. This checks the API and the project's logic, not TensorRT's kernels: nothing runs on a GPU.
"""

import enum
import json
import time
import types
from pathlib import Path

import numpy as np
import onnx

# what the real `tensorrt.nptype` maps (its source in the bindings wheel; test_tensorrt_api.py compares): BF16, FP8,
# INT4, FP4 have no numpy type, and the real function raises TypeError for them, as this one does
NUMPY_OF = {"FLOAT": np.float32, "HALF": np.float16, "INT8": np.int8, "INT32": np.int32, "BOOL": np.bool_,
            "UINT8": np.uint8, "INT64": np.int64}
NPTYPE_ERROR = "Could not resolve TensorRT datatype to an equivalent numpy datatype."
ONNX_TO_TRT = {onnx.TensorProto.FLOAT: "FLOAT", onnx.TensorProto.FLOAT16: "HALF", onnx.TensorProto.UINT8: "UINT8",
               onnx.TensorProto.INT32: "INT32", onnx.TensorProto.INT8: "INT8", onnx.TensorProto.INT64: "INT64",
               onnx.TensorProto.BFLOAT16: "BF16", onnx.TensorProto.FLOAT8E4M3FN: "FP8"}


def _short(type_name: str) -> str:
    """'tensorrt_bindings.tensorrt.ICudaEngine' -> 'ICudaEngine'; C++ names ('nvonnxparser::IParserError') -> the
    Python class pybind11 exports ('ParserError')."""
    name = type_name.rsplit(".", 1)[-1].strip()
    if "::" in name:
        name = name.rsplit("::", 1)[-1]
        name = name[1:] if name.startswith("I") and name[1:2].isupper() else name
    return name


class ApiError(AttributeError):
    """A member the real bindings of this version do not have."""


def _binds(signature: dict, args: tuple, kwargs: dict) -> bool:
    """Whether (args, kwargs) fit one pybind11 overload: positional count, keyword names, required arguments."""
    params = signature["args"]
    if params is None:
        return True
    params = [p for p in params if p["name"] not in ("self", "*args", "**kwargs")]
    if len(args) > len(params):
        return False
    names = [p["name"] for p in params]
    if any(k not in names[len(args):] for k in kwargs):
        return False
    given = set(names[: len(args)]) | set(kwargs)
    return all(p["default"] or p["name"] in given for p in params)


class StandInModule(types.ModuleType):
    """The generated module; `simulation` holds the behaviour, `calls` records every call made."""

    def __init__(self, api: dict) -> None:
        super().__init__("tensorrt")
        self.__version__ = api["version"]
        self.api = api
        self.calls: list[str] = []
        self.simulation = Simulation(self)
        self._classes: dict[str, type] = {}
        for name, spec in api["names"].items():
            if spec["kind"] == "enum":
                setattr(self, name, enum.IntEnum(name, spec["values"]))
        for name, spec in api["names"].items():
            if spec["kind"] == "class":
                setattr(self, name, self._make_class(name, spec))
        for name, spec in api["names"].items():  # nested enums (ILogger.Severity) and their exported values
            if spec["kind"] != "class":
                continue
            for member, info in spec["members"].items():
                if info["kind"] == "nested" and info["values"]:
                    setattr(self._classes[name], member, enum.IntEnum(info["type"], info["values"]))
            for member, info in spec["members"].items():
                if info["kind"] == "attribute" and "value" in info:
                    nested = getattr(self._classes[name], info["type"], None) or getattr(self, info["type"], None)
                    value = nested(info["value"]) if nested is not None else info["value"]
                    setattr(self._classes[name], member, value)
        self.nptype = self._nptype

    def __getattr__(self, name: str):
        raise ApiError(f"TensorRT {self.__version__} has no tensorrt.{name}")

    def _nptype(self, trt_type):
        self.calls.append("nptype")
        if trt_type.name not in NUMPY_OF:
            raise TypeError(NPTYPE_ERROR)
        return NUMPY_OF[trt_type.name]

    def instance(self, class_name: str):
        """An object of a stand-in class, as a TensorRT factory would return it."""
        return object.__new__(self._classes[class_name])

    def _make_class(self, name: str, spec: dict) -> type:
        module = self
        members = spec["members"]

        def __init__(obj, *args, **kwargs):  # noqa: N807 - the stand-in's constructor
            init = members.get("__init__")
            if init and not any(_binds(s, args, kwargs) for s in init["signatures"]):
                raise TypeError(f"TensorRT {module.__version__}: {name}() takes {_describe(init)}, "
                                f"got {len(args)} positional and {sorted(kwargs)}")
            module.calls.append(f"{name}.__init__")
            module.simulation.created(name, obj, args, kwargs)

        def __getattr__(obj, attr):  # noqa: N807 - only reached when the normal lookup fails
            info = members.get(attr)
            if info is None:
                raise ApiError(f"TensorRT {module.__version__}: {name}.{attr} does not exist")
            if info["kind"] == "property":
                module.calls.append(f"{name}.{attr}")
                return module.simulation.get(name, obj, attr)
            raise ApiError(f"TensorRT {module.__version__}: {name}.{attr} is not readable here")

        def __setattr__(obj, attr, value):  # noqa: N807
            info = members.get(attr)
            if info is None and type(obj).__name__ != name:  # a Python subclass has its own __dict__, as in pybind11
                object.__setattr__(obj, attr, value)
                return
            if info is None or info["kind"] != "property":
                raise ApiError(f"TensorRT {module.__version__}: {name}.{attr} is not a property")
            if not info["writable"]:
                raise ApiError(f"TensorRT {module.__version__}: {name}.{attr} is read-only")
            module.calls.append(f"{name}.{attr}=")
            module.simulation.set(name, obj, attr, value)

        namespace = {"__init__": __init__, "__getattr__": __getattr__, "__setattr__": __setattr__}
        for attr, info in members.items():
            if info["kind"] == "method" and attr != "__init__":
                namespace[attr] = self._method(name, attr, info)
        cls = type(name, (), namespace)
        self._classes[name] = cls
        return cls

    def _method(self, class_name: str, attr: str, info: dict):
        module = self

        def method(obj, *args, **kwargs):
            if not any(_binds(s, args, kwargs) for s in info["signatures"]):
                raise TypeError(f"TensorRT {module.__version__}: {class_name}.{attr} takes {_describe(info)}, "
                                f"got {len(args)} positional and {sorted(kwargs)}")
            module.calls.append(f"{class_name}.{attr}")
            returns = _short(info["signatures"][0]["returns"])
            return module.simulation.call(class_name, obj, attr, args, kwargs, returns)

        method.__name__ = attr
        return method


def _describe(info: dict) -> str:
    forms = []
    for signature in info["signatures"]:
        names = [p["name"] + ("=..." if p["default"] else "") for p in signature["args"] or []
                 if p["name"] != "self"]
        forms.append(f"({', '.join(names)})")
    return " or ".join(forms)


class Simulation:
    """What the stand-in objects do: enough of TensorRT's behaviour to run the project's build and runner logic."""

    def __init__(self, module: StandInModule) -> None:
        self.module = module
        self.state: dict[int, dict] = {}
        self.timing_cache_accepted = True  # set False to simulate a cache from another GPU or version
        self.dla_cores = 0  # Builder.num_DLA_cores
        # TensorRT's failure branches, each taken when set (tests/test_tensorrt_api.py asserts each one's message)
        self.parser_errors: list[tuple[str, str, str]] = []  # (desc, node name, node operator) per error
        self.build_fails = False  # build_serialized_network returns None
        self.execute_fails = False  # execute_async_v3 returns False
        self.cancel_at_step: int | None = None  # the progress monitor's step_complete is asked; False cancels
        self.phases: list[tuple] = []  # the monitor calls made while building, in order
        self.memory: "HostCuda | None" = None  # set: execute_async_v3 computes with ONNX Runtime on its buffers
        self._sessions: dict[str, object] = {}

    def _of(self, obj) -> dict:
        return self.state.setdefault(id(obj), {"_obj": obj})

    def created(self, class_name, obj, args, kwargs) -> None:
        state = self._of(obj)
        if class_name == "OnnxParser":
            state["network"] = args[0] if args else kwargs.get("network")

    def get(self, class_name, obj, attr):
        state = self._of(obj)
        if class_name == "ICudaEngine" and attr == "num_io_tensors":
            return len(state["tensors"])
        if class_name == "OnnxParser" and attr == "num_errors":
            return len(self.parser_errors)
        if class_name == "Builder" and attr == "num_DLA_cores":
            return self.dla_cores
        return state.get(attr, 0)

    def set(self, class_name, obj, attr, value) -> None:
        self._of(obj)[attr] = value

    def call(self, class_name, obj, attr, args, kwargs, returns):
        handler = getattr(self, f"_{class_name}_{attr}", None)
        if handler is not None:
            return handler(self._of(obj), *args, **kwargs)
        return self.default(returns)

    def default(self, returns: str):
        if returns in self.module._classes:
            return self.module.instance(returns)
        return {"bool": True, "int": 0, "float": 0.0, "str": "", "None": None}.get(returns)

    # -- building -----------------------------------------------------------------------------------------------
    def _Builder_create_network(self, state, flags=0):
        network = self.module.instance("INetworkDefinition")
        self._of(network)["flags"] = flags
        return network

    def _OnnxParser_get_error(self, state, index):
        error = self.module.instance("ParserError")
        desc, node_name, operator = self.parser_errors[index]
        self._of(error).update(desc=desc, node_name=node_name, node_operator=operator)
        return error

    def _ParserError_desc(self, state):
        return state["desc"]

    def _ParserError_node_name(self, state):
        return state["node_name"]

    def _ParserError_node_operator(self, state):
        return state["node_operator"]

    def _IBuilderConfig_set_flag(self, state, flag):
        state.setdefault("flags", set()).add(flag.name)

    def _IBuilderConfig_clear_flag(self, state, flag):
        state.setdefault("cleared", set()).add(flag.name)
        state.setdefault("flags", set()).discard(flag.name)

    def _OnnxParser_parse_from_file(self, state, path):
        if self.parser_errors:
            return False
        model = onnx.load(str(path), load_external_data=False)
        inits = {t.name for t in model.graph.initializer}
        tensors = [(i.name, "INPUT", i) for i in model.graph.input if i.name not in inits]
        tensors += [(o.name, "OUTPUT", o) for o in model.graph.output]
        network = self._of(state["network"])
        network["onnx"] = str(Path(path).resolve())
        network["tensors"] = [{"name": n, "mode": m, "dtype": ONNX_TO_TRT[v.type.tensor_type.elem_type],
                               "shape": [d.dim_value if d.HasField("dim_value") else -1
                                         for d in v.type.tensor_type.shape.dim]} for n, m, v in tensors]
        return True

    def _IOptimizationProfile_set_shape(self, state, name, min, opt, max):  # noqa: A002 - TensorRT's names
        state.setdefault("shapes", {})[name] = [list(min), list(opt), list(max)]

    def _IBuilderConfig_add_optimization_profile(self, state, profile):
        state.setdefault("profiles", []).append(self._of(profile).get("shapes", {}))
        return len(state["profiles"]) - 1

    def _IBuilderConfig_create_timing_cache(self, state, serialized):
        if bytes(serialized).startswith(b"corrupt"):
            return None  # what TensorRT returns for a cache it cannot parse
        cache = self.module.instance("ITimingCache")
        self._of(cache)["bytes"] = bytes(serialized) or b"timing-cache"
        return cache

    def _IBuilderConfig_set_timing_cache(self, state, cache, ignore_mismatch):
        foreign = self._of(cache)["bytes"] != b"timing-cache"  # made from a file, not empty
        if foreign and not self.timing_cache_accepted and not ignore_mismatch:
            return False
        state["timing_cache"] = cache
        return True

    def _IBuilderConfig_get_timing_cache(self, state):
        return state.get("timing_cache")

    def _ITimingCache_serialize(self, state):
        return state["bytes"]

    def _Builder_build_serialized_network(self, state, network, config):
        settings = self._of(config)
        if not self._report_progress(settings.get("progress_monitor")) or self.build_fails:
            return None  # TensorRT returns None for a failed or cancelled build
        description = {"tensors": self._of(network)["tensors"], "profile": settings["profiles"][0],
                       "onnx": self._of(network)["onnx"],
                       "host_code": "VERSION_COMPATIBLE" in settings.get("flags", ()),
                       "tf32": "TF32" not in settings.get("cleared", ())}  # TensorRT sets TF32 by default
        return json.dumps(description).encode()  # stands in for IHostMemory (a buffer)

    def _report_progress(self, monitor) -> bool:
        """Drive the progress monitor as TensorRT does: a top-level phase with a nested one; False when cancelled."""
        if monitor is None:
            return True
        monitor.phase_start("Building engine", None, 3)
        monitor.phase_start("Tactic selection", "Building engine", 1)
        self.phases.append(("start", "Building engine", "Tactic selection"))
        for step in range(3):
            if not monitor.step_complete("Building engine", step) or step == self.cancel_at_step:
                return False
            self.phases.append(("step", step))
        monitor.phase_finish("Tactic selection")
        monitor.phase_finish("Building engine")
        self.phases.append(("finish",))
        return True

    # -- running ------------------------------------------------------------------------------------------------
    def _Runtime_deserialize_cuda_engine(self, state, serialized):
        try:
            description = json.loads(bytes(serialized))
        except ValueError:
            return None  # TensorRT returns None for a plan it cannot read
        if description.get("host_code") and not state.get("engine_host_code_allowed"):
            return None  # a version-compatible plan's lean runtime is host code: refused unless allowed
        engine = self.module.instance("ICudaEngine")
        self._of(engine).update(description)
        return engine

    def _tensor(self, state, name):
        return next(t for t in state["tensors"] if t["name"] == name)

    def _ICudaEngine_get_tensor_name(self, state, index):
        return state["tensors"][index]["name"]

    def _ICudaEngine_get_tensor_mode(self, state, name):
        return getattr(self.module.TensorIOMode, self._tensor(state, name)["mode"])

    def _ICudaEngine_get_tensor_dtype(self, state, name):
        return getattr(self.module.DataType, self._tensor(state, name)["dtype"])

    def _ICudaEngine_get_tensor_shape(self, state, name):
        return tuple(self._tensor(state, name)["shape"])

    def _ICudaEngine_get_tensor_profile_shape(self, state, name, profile_index):
        return [tuple(s) for s in state["profile"][name]]

    def _ICudaEngine_create_execution_context(self, state, *args):
        context = self.module.instance("IExecutionContext")
        self._of(context).update(engine=state, shapes={})
        return context

    def _IExecutionContext_set_input_shape(self, state, name, shape):
        limits = state["engine"]["profile"].get(name)
        static = self._tensor(state["engine"], name)["shape"]
        if limits is None:
            ok = list(shape) == static
        else:
            ok = len(shape) == len(limits[0]) and all(lo <= s <= hi for lo, s, hi in zip(limits[0], shape, limits[2]))
        if ok:  # TensorRT keeps the previous shape when it refuses one
            state["shapes"][name] = tuple(shape)
        return ok

    def _IExecutionContext_get_tensor_shape(self, state, name):
        tensor = self._tensor(state["engine"], name)
        if tensor["mode"] == "INPUT":
            return state["shapes"].get(name, tuple(tensor["shape"]))
        return output_shape(state["engine"], state["shapes"], tensor)

    def _IExecutionContext_set_tensor_address(self, state, name, address):
        state.setdefault("addresses", {})[name] = address
        return True

    def _IExecutionContext_execute_async_v3(self, state, stream_handle):
        if self.execute_fails:
            return False
        inputs = [t["name"] for t in state["engine"]["tensors"] if t["mode"] == "INPUT"]
        ready = all(name in state["shapes"] or -1 not in self._tensor(state["engine"], name)["shape"]
                    for name in inputs) and len(state.get("addresses", {})) == len(state["engine"]["tensors"])
        if ready and self.memory is not None:
            self._compute(state)
        return ready

    def _compute(self, state) -> None:
        """The network on the bound buffers: inputs read as the engine's types and the context's shapes, ONNX Runtime
        on the parsed ONNX, the output written where the context points (its shape must be what TensorRT reports)."""
        import onnxruntime as ort

        engine = state["engine"]
        path = engine["onnx"]
        if path not in self._sessions:
            self._sessions[path] = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        feeds = {}
        for tensor in engine["tensors"]:
            if tensor["mode"] != "INPUT":
                continue
            shape = state["shapes"].get(tensor["name"], tuple(tensor["shape"]))
            dtype = np.dtype(NUMPY_OF[tensor["dtype"]])
            nbytes = int(np.prod(shape)) * dtype.itemsize
            feeds[tensor["name"]] = self.memory.buffers[state["addresses"][tensor["name"]]][:nbytes].view(dtype).reshape(shape)
        (out,) = [t for t in engine["tensors"] if t["mode"] == "OUTPUT"]
        (result,) = self._sessions[path].run([out["name"]], feeds)
        reported = self._IExecutionContext_get_tensor_shape(state, out["name"])
        if tuple(result.shape) != tuple(reported):
            raise AssertionError(f"the stand-in reported output shape {reported}, the network gave {result.shape}")
        flat = np.ascontiguousarray(result.astype(NUMPY_OF[out["dtype"]], copy=False)).reshape(-1).view(np.uint8)
        self.memory.buffers[state["addresses"][out["name"]]][: flat.size] = flat


def output_shape(engine: dict, shapes: dict, tensor: dict) -> tuple:
    """The output shape TensorRT infers from the input shapes: the network's or a pipeline graph's."""
    names = {t["name"] for t in engine["tensors"] if t["mode"] == "INPUT"}
    if "mosaic" in names:
        if "mosaic" not in shapes:
            return tuple(tensor["shape"])
        h, w2 = shapes["mosaic"]
        return (h, w2 // 2, 3) + ((2,) if len(tensor["shape"]) == 4 else ())
    (name,) = names
    if name not in shapes:
        return tuple(tensor["shape"])
    n, _, h, w = shapes[name]
    return (n, 3, 2 * h, 2 * w)


class HostCuda:
    """The CUDA interface of engines/trt/cuda_memory.py on host memory: buffers are numpy arrays."""

    def __init__(self, shared: "HostCuda | None" = None) -> None:
        """`shared`: another HostCuda whose address space this one uses (one process, several runners)."""
        from lowlight_edge.engines.trt.cuda_memory import DeviceInfo

        self.buffers: dict[int, np.ndarray] = shared.buffers if shared is not None else {}
        self._mine: list[int] = []
        self.allocated = 0
        self.device = DeviceInfo("Stand-in GPU", "8.7", "12060", "12060")  # driver and bindings: CUDA 12.6

    def release(self) -> None:
        while self._mine:
            self.buffers.pop(self._mine.pop(), None)

    def push(self) -> None:
        pass

    def pop(self) -> None:
        pass

    def info(self):
        return self.device

    def pinned(self, shape, dtype) -> np.ndarray:
        return np.zeros(shape, dtype)

    def alloc(self, nbytes: int):
        buffer = np.zeros(max(int(nbytes), 1), np.uint8)
        self.buffers[buffer.ctypes.data] = buffer
        self._mine.append(buffer.ctypes.data)
        self.allocated += 1
        return buffer.ctypes.data

    def stream(self):
        return 1

    def stream_handle(self, stream) -> int:
        return int(stream)

    def htod(self, device, host: np.ndarray, stream) -> None:
        self.buffers[device][: host.nbytes] = host.reshape(-1).view(np.uint8)

    def dtoh(self, host: np.ndarray, device, stream) -> None:
        host.reshape(-1).view(np.uint8)[:] = self.buffers[device][: host.nbytes]

    def synchronize(self, stream) -> None:
        pass

    def event(self):
        return {}

    def record(self, event, stream) -> None:
        event["at"] = time.perf_counter()

    def elapsed_ms(self, start, end) -> float:
        return max((end["at"] - start["at"]) * 1e3, 1e-6)  # host time: the stand-in computes on the host

    def address(self, device) -> int:
        return int(device)


def load_api(path: Path) -> dict:
    return json.loads(Path(path).read_text())
