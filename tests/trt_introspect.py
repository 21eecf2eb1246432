"""Dump the API of the TensorRT Python bindings importable as `tensorrt_bindings`: classes, methods with their
pybind11 signatures, properties and whether they are writable, enum members, module functions. Prints JSON."""

import inspect
import json
import re
import sys

import tensorrt_bindings as trt

SIG = re.compile(r"^(?:\d+\. )?(\w+)\((.*)\) -> (.+)$")


def split_args(text):
    parts, depth, current = [], 0, ""
    for ch in text:
        if ch in "[(<":
            depth += 1
        elif ch in "])>":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += ch
    if current.strip():
        parts.append(current.strip())
    args = []
    for part in parts:
        name, _, rest = part.partition(":")
        args.append({"name": name.strip(), "default": "=" in rest or "=" in name,
                     "type": rest.split("=")[0].strip()})
    return args


def signatures(func, name):
    doc = getattr(func, "__doc__", None) or ""
    found = []
    for line in doc.splitlines():
        m = SIG.match(line.strip())
        if m and m.group(1) == name:
            found.append({"args": split_args(m.group(2)), "returns": m.group(3).strip()})
    if not found:
        try:
            sig = inspect.signature(func)
            found.append({"args": [{"name": p.name, "default": p.default is not p.empty, "type": "",
                                    "kind": p.kind.name} for p in sig.parameters.values()], "returns": ""})
        except (TypeError, ValueError):
            found.append({"args": None, "returns": ""})
    return found


def describe_class(cls):
    members = {}
    for name in dir(cls):
        if name.startswith("__") and name not in ("__init__", "__call__", "__enter__", "__exit__", "__len__",
                                                  "__getitem__", "__iter__", "__buffer__", "__bytes__"):
            continue
        try:
            static = inspect.getattr_static(cls, name)
        except AttributeError:
            continue
        if isinstance(static, property):
            members[name] = {"kind": "property", "writable": static.fset is not None}
        elif isinstance(static, type):  # a nested class, e.g. ILogger.Severity
            members[name] = {"kind": "nested", "type": static.__name__,
                             "values": {k: int(v) for k, v in getattr(static, "__members__", {}).items()}}
        elif callable(static) or isinstance(static, (staticmethod, classmethod)):
            members[name] = {"kind": "method", "signatures": signatures(getattr(cls, name), name)}
        else:  # class-level constants: enum values exported into the class (Logger.WARNING)
            value = {"value": int(static)} if hasattr(type(static), "__members__") else {}
            members[name] = {"kind": "attribute", "type": type(static).__name__, **value}
    info = {"kind": "class", "bases": [b.__name__ for b in cls.__mro__[1:] if b.__module__.startswith("tensorrt")],
            "members": members}
    if hasattr(cls, "__members__"):
        info["kind"] = "enum"
        info["values"] = {k: int(v) for k, v in cls.__members__.items()}
    return info


api = {"version": trt.__version__, "names": {}}
for name in dir(trt):
    if name.startswith("_"):
        continue
    obj = getattr(trt, name)
    if isinstance(obj, type):
        api["names"][name] = describe_class(obj)
    elif callable(obj):
        api["names"][name] = {"kind": "function", "signatures": signatures(obj, name)}
    elif not inspect.ismodule(obj):
        api["names"][name] = {"kind": "constant", "type": type(obj).__name__}
json.dump(api, sys.stdout, indent=1, sort_keys=True)
