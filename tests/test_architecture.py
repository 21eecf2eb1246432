"""The shape of the package: imports run down the layers, no circles, the core imports without torch.

The layers (DESIGN.md): commands -> jobs (demo, train) -> library packages -> model/raw/onnxgraph ->
fileio/errors. A module may import its own package and any lower layer; every import counts, inside
functions too, so a cycle cannot hide behind a local import.
"""

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "lowlight_edge"

LAYERS = {
    "errors": 0, "deps": 0, "version": 0, "fileio": 0, "machine": 0,
    "model": 1, "raw": 1, "onnxgraph": 1, "weights": 1,
    "engines": 2,
    "metrics": 3,
    "export": 4, "quantize": 4, "bench": 4,
    "demo": 5, "train": 5,
    "api": 6,
    "commands": 7, "cli": 7, "__main__": 7, "__init__": 7,
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


def _imports(path: Path) -> set[str]:
    """Project modules `path` imports, anywhere in the file."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names if a.name.startswith("lowlight_edge")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("lowlight_edge"):
            for alias in node.names:
                child = f"{node.module}.{alias.name}"
                names.add(child if child in MODULES else node.module)
    return names


def _package(module: str) -> str:
    parts = module.split(".")
    if module == "lowlight_edge.__init__" or module == "lowlight_edge":
        return "__init__"
    return parts[1]


GRAPH = {module: _imports(path) - {module} for module, path in MODULES.items()}


def test_every_package_has_a_layer():
    assert {_package(m) for m in MODULES} <= set(LAYERS)


def test_imports_run_down_the_layers():
    upward = [f"{m} -> {i}" for m, imported in GRAPH.items() for i in imported
              if _package(i) != _package(m) and LAYERS[_package(i)] > LAYERS[_package(m)]]
    assert upward == []


def test_nothing_but_the_cli_imports_commands():
    offenders = [m for m, imported in GRAPH.items() if _package(m) not in ("commands", "cli", "__main__")
                 and any(_package(i) == "commands" for i in imported)]
    assert offenders == []


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
