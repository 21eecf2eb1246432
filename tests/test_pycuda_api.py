"""The pycuda backend of the CUDA layer against pycuda's own source (2026.1).

pycuda has no wheels (it builds against a CUDA toolkit), so it cannot be imported here; `make test-data` fetches its
source archive (pinned sha256, never built) and this test checks that every name `PycudaBackend` uses is defined
there: a function, class or method bound in the C++ wrapper (`src/wrapper/wrap_cudadrv.cpp`), or defined in
`pycuda/driver.py`. Names only, not signatures; the backend itself ran on no machine yet (GPU machines had
cuda-python).
"""

import ast
import re
import tarfile
from pathlib import Path

import pytest

from lowlight_edge.engines.trt import cuda_memory

SDIST = Path(__file__).resolve().parents[1] / ".cache" / "sources" / "pycuda-2026.1.tar.gz"


@pytest.fixture(scope="module")
def pycuda_names() -> set[str]:
    if not SDIST.is_file():
        pytest.skip(f"{SDIST} not there; run make test-data")
    with tarfile.open(SDIST) as archive:
        def read(suffix: str) -> str:
            member = next(m for m in archive.getmembers() if m.name.endswith(suffix))
            return archive.extractfile(member).read().decode("utf-8", "replace")

        wrapper, driver = read("src/wrapper/wrap_cudadrv.cpp"), read("pycuda/driver.py")
    bound = set(re.findall(r'"(\w+)"', wrapper))  # .def("name", ...), py::class_<...>("Name"), DEF_SIMPLE_FUNCTION
    bound |= set(re.findall(r"DEF_SIMPLE_(?:FUNCTION|METHOD)\w*\((\w+)", wrapper))
    defined = {n.name for n in ast.walk(ast.parse(driver)) if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    defined |= {t.id for n in ast.walk(ast.parse(driver)) if isinstance(n, ast.Assign)
                for t in n.targets if isinstance(t, ast.Name)}
    return bound | defined


def _backend_names() -> set[str]:
    """Every attribute PycudaBackend reads from pycuda or calls on pycuda's objects."""
    tree = ast.parse(Path(cuda_memory.__file__).read_text())
    backend = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "PycudaBackend")
    own = {f.name for f in backend.body if isinstance(f, ast.FunctionDef)}
    names = set()
    for node in ast.walk(backend):
        if isinstance(node, ast.Attribute) and not (isinstance(node.value, ast.Name) and node.value.id == "self"):
            names.add(node.attr)
    # the backend's own attributes, and what it reads from numpy arrays (`.base`), strings (`.join`) and numpy
    # (`np.ndarray`, an annotation), are not pycuda's; `pop` is both a list's and pycuda Context's: kept
    return names - own - {"cuda", "device", "context", "_owned", "append", "driver", "base", "join", "ndarray"}


def test_every_name_the_pycuda_backend_uses_is_defined_by_pycuda(pycuda_names):
    used = _backend_names()
    assert {"pagelocked_empty", "mem_alloc", "memcpy_htod_async", "retain_primary_context", "time_till"} <= used
    assert sorted(used - pycuda_names) == []


def test_the_check_finds_a_name_pycuda_lacks(pycuda_names):
    assert {"mem_alloc", "pagelocked_empty", "time_till", "Context"} <= pycuda_names
    assert "mem_alloc_typo" not in pycuda_names and "pagelocked_emtpy" not in pycuda_names
