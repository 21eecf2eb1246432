"""A restricted unpickler that rebuilds numpy arrays and plain containers, and nothing else.

Pickle can call any importable function while loading; this one refuses every global except the three
numpy needs to reconstruct an ndarray, so a hostile file fails instead of running code.
"""

import io
import pickle

import numpy as np

from lowlight_edge.errors import InputError

_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"): None,  # resolved lazily: numpy 2 moved it to numpy._core
    ("numpy._core.multiarray", "_reconstruct"): None,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
}


def _reconstruct():
    try:
        from numpy._core.multiarray import _reconstruct as fn  # numpy >= 2
    except ImportError:  # pragma: no cover - numpy 1.x
        from numpy.core.multiarray import _reconstruct as fn
    return fn


class NumpyOnlyUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"refused to load {module}.{name}: only numpy arrays are allowed")
        if name == "_reconstruct":
            return _reconstruct()
        return _ALLOWED[(module, name)]


def load_numpy_pickle(data: bytes, what: str) -> dict:
    """Unpickle `data` allowing numpy arrays only; anything else is an InputError naming `what`."""
    try:
        obj = NumpyOnlyUnpickler(io.BytesIO(data)).load()
    except pickle.UnpicklingError as exc:
        raise InputError(f"{what} was refused: {exc}") from exc
    except (EOFError, ValueError, TypeError, AttributeError, IndexError, KeyError) as exc:
        raise InputError(f"{what} is not a readable pickle ({type(exc).__name__}: {exc})") from exc
    if not isinstance(obj, dict):
        raise InputError(f"{what} holds a {type(obj).__name__}, expected a dict of arrays")
    return obj
