"""The shape of the package: imports run down the layers, no circles, the core imports without torch.

The layers (docs/development.md, "The layers"): a module may import its own package and any package of a lower
layer, never one of its own layer or above. Every import counts: inside functions, relative ones
(`from ..commands import x`) and modules loaded by name (`importlib.import_module("lowlight_edge.x")`), so
neither a cycle nor a shortcut can hide. Each rule has a control below that breaks it.
"""

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "lowlight_edge"

LAYERS = {
    "errors": 0, "version": 0,
    "deps": 1, "fileio": 1,
    "machine": 2,
    "raw": 3,
    "model": 4, "onnxgraph": 4, "weights": 4,
    "engines": 5,
    "metrics": 6,
    "quantize": 7,
    "export": 8, "bench": 8,
    "train": 9,
    "tune": 10,
    "demo": 11,
    "commands": 12,
    "cli": 13,
    "__main__": 14, "__init__": 14,
}
# modules that need torch at import time (the model's layers, LPIPS's network); everything else must not
TORCH_MODULES = {"lowlight_edge.model.generator", "lowlight_edge.model.attention", "lowlight_edge.model.blocks",
                 "lowlight_edge.model.discriminator", "lowlight_edge.model.pipeline_module",
                 "lowlight_edge.metrics.lpips", "lowlight_edge.train.patches", "lowlight_edge.train.torch_sensor"}


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__" and len(parts) > 1 and parts != ["lowlight_edge", "__init__"]:
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _absolute(module: str, is_package: bool, level: int, name: str | None) -> str:
    """The absolute name of `from <level dots><name> import ...` written in `module`."""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (level - 1)] if level > 1 else base
    return ".".join(base + ([name] if name else []))


def _imports(path: Path, module: str | None = None) -> set[str]:
    """Project modules `path` imports, anywhere in the file: absolute, relative, and loaded by name."""
    module = module or next((m for m, p in MODULES.items() if p == path), "lowlight_edge")
    is_package = path.name == "__init__.py"
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names if a.name.startswith("lowlight_edge")}
        elif isinstance(node, ast.ImportFrom):
            origin = _absolute(module, is_package, node.level, node.module) if node.level else node.module
            if origin and origin.startswith("lowlight_edge"):
                for alias in node.names:
                    child = f"{origin}.{alias.name}"
                    names.add(child if child in MODULES else origin)
        elif isinstance(node, ast.Call) and _loads_by_name(node.func) and node.args:
            target = node.args[0]
            if isinstance(target, ast.Constant) and str(target.value).startswith("lowlight_edge"):
                names.add(str(target.value))
    return names


def _loads_by_name(func: ast.expr) -> bool:
    """importlib.import_module(...), import_module(...) or __import__(...)."""
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    return name in ("import_module", "__import__")


def _package(module: str) -> str:
    parts = module.split(".")
    if module == "lowlight_edge.__init__" or module == "lowlight_edge":
        return "__init__"
    return parts[1]


GRAPH = {module: _imports(path, module) - {module} for module, path in MODULES.items()}


def test_every_package_has_a_layer():
    assert {_package(m) for m in MODULES} <= set(LAYERS)


def _not_down(graph: dict[str, set[str]]) -> list[str]:
    """Imports of another package of the same or a higher layer."""
    return [f"{m} -> {i}" for m, imported in graph.items() for i in imported
            if _package(i) != _package(m) and LAYERS[_package(i)] >= LAYERS[_package(m)]]


def _commands_importers(graph: dict[str, set[str]]) -> list[str]:
    return [m for m, imported in graph.items() if _package(m) not in ("commands", "cli", "__main__")
            and any(_package(i) == "commands" for i in imported)]


def test_imports_run_down_the_layers():
    assert _not_down(GRAPH) == []


def test_nothing_but_the_cli_imports_commands():
    assert _commands_importers(GRAPH) == []


def test_the_rules_catch_relative_by_name_and_same_layer_imports(tmp_path):
    """The controls: each shortcut the rules once let through is now caught."""
    relative = tmp_path / "relative.py"
    relative.write_text("def f():\n    from ..commands import enhance\n")
    by_name = tmp_path / "by_name.py"
    by_name.write_text("import importlib\nrun = importlib.import_module('lowlight_edge.commands.enhance')\n")
    for path in (relative, by_name):
        found = _imports(path, module="lowlight_edge.engines.shortcut")
        assert "lowlight_edge.commands.enhance" in found, found
        assert _commands_importers({"lowlight_edge.engines.shortcut": found}) == ["lowlight_edge.engines.shortcut"]
    sideways = tmp_path / "sideways.py"
    sideways.write_text("from lowlight_edge.bench.job import benchmark\n")  # export and bench share a layer
    graph = {"lowlight_edge.export.shortcut": _imports(sideways, module="lowlight_edge.export.shortcut")}
    assert _not_down(graph) == ["lowlight_edge.export.shortcut -> lowlight_edge.bench.job"]
    assert _absolute("lowlight_edge.engines.trt.build", False, 2, "errors") == "lowlight_edge.engines.errors"


def test_no_circles_between_modules_or_packages():
    def cycle(graph: dict[str, set[str]]) -> list[str] | None:
        state: dict[str, int] = {}
        stack: list[str] = []

        def visit(node):
            state[node] = 1
            stack.append(node)
            for nxt in sorted(graph.get(node, ())):
                if state.get(nxt) == 1:
                    return stack[stack.index(nxt):] + [nxt]
                if nxt not in state and (found := visit(nxt)):
                    return found
            stack.pop()
            state[node] = 2
            return None

        for node in sorted(graph):
            if node not in state and (found := visit(node)):
                return found
        return None

    assert cycle(GRAPH) is None
    packages: dict[str, set[str]] = {}
    for m, imported in GRAPH.items():
        packages.setdefault(_package(m), set()).update(_package(i) for i in imported if _package(i) != _package(m))
    assert cycle(packages) is None


def test_the_core_imports_without_torch_tensorrt_or_matplotlib():
    blocked = ["torch", "tensorrt", "pycuda", "cuda", "matplotlib", "onnxslim"]
    core = sorted(m for m in MODULES if m not in TORCH_MODULES and not m.endswith("__main__"))
    script = (
        "import importlib, sys\n"
        f"for name in {blocked!r}:\n    sys.modules[name] = None  # import fails as if not installed\n"
        f"for module in {core!r}:\n    importlib.import_module(module)\n"
        "print('imported', len(%r))\n" % core
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
