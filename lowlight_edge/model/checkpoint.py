"""Safe checkpoint IO for the generator.

Checkpoints are untrusted input. Two formats load:
- safetensors (the native format): tensors plus the architecture config in the metadata, so a file
  loads with no architecture arguments;
- `.pt` / `.pth` state dicts, only through `torch.load(weights_only=True)`, which refuses any pickle that
  would construct something other than tensors and plain containers. Their config comes from a
  "config" entry when present, otherwise it is inferred from the tensor shapes.
Every load is checked key by key against the architecture before any weight is used.
"""

from dataclasses import dataclass
from pathlib import Path

from lowlight_edge.deps import require
from lowlight_edge.errors import CheckpointError, InputError
from lowlight_edge.fileio.atomic import atomic_output
from lowlight_edge.fileio.hashing import sha256_file
from lowlight_edge.fileio.inputs import regular_file
from lowlight_edge.fileio.limits import check_torch_archive
from lowlight_edge.model.config import GeneratorConfig

SAFETENSORS_SUFFIXES = (".safetensors",)
PICKLE_SUFFIXES = (".pt", ".pth")
CHECKPOINT_SUFFIXES = SAFETENSORS_SUFFIXES + PICKLE_SUFFIXES

_KIND_KEY = "lowlight_edge.kind"
_CONFIG_KEY = "lowlight_edge.config"
# Wrapper keys under which training scripts commonly nest the generator's state dict.
_NESTED_KEYS = ("generator", "state_dict", "model", "netG")


@dataclass
class LoadedCheckpoint:
    model: "object"  # AttentionUNet, in eval mode
    config: GeneratorConfig
    path: Path
    sha256: str
    metadata: dict


def save_generator(model, path: Path, force: bool = False, extra_metadata: dict | None = None) -> Path:
    """Write the generator's weights and config as safetensors (atomically)."""
    torch = require("torch", "saving a checkpoint")
    from safetensors.torch import save_file

    path = Path(path)
    if path.suffix not in SAFETENSORS_SUFFIXES:
        raise InputError(f"checkpoints are written as safetensors; name the output *.safetensors, not {path.name}")
    metadata = {_KIND_KEY: "generator", _CONFIG_KEY: model.config.to_json()}
    metadata.update({k: str(v) for k, v in (extra_metadata or {}).items()})
    tensors = {k: v.detach().to(torch.float32).contiguous() for k, v in model.state_dict().items()}
    with atomic_output(path, force) as tmp:
        save_file(tensors, str(tmp), metadata=metadata)
    return path


def load_generator(path: Path) -> LoadedCheckpoint:
    """Load a generator checkpoint safely and check it matches the architecture exactly."""
    require("torch", "loading a PyTorch checkpoint")
    from lowlight_edge.model.generator import AttentionUNet

    path = regular_file(path, "checkpoint", CheckpointError)
    if path.stat().st_size == 0:
        raise CheckpointError(f"checkpoint {path} is empty (0 bytes)")
    if path.suffix in SAFETENSORS_SUFFIXES:
        state, config, metadata = _read_safetensors(path)
    elif path.suffix in PICKLE_SUFFIXES:
        state, config, metadata = _read_torch_pickle(path)
    else:
        raise CheckpointError(
            f"unsupported checkpoint type {path.suffix!r} for {path}; expected one of {', '.join(CHECKPOINT_SUFFIXES)}"
        )
    check_state_dict(expected_tensors(config), state, path)  # before any weight of the network is allocated
    model = AttentionUNet(config)
    model.load_state_dict(state, strict=True)
    model.eval()
    return LoadedCheckpoint(model=model, config=config, path=path, sha256=sha256_file(path), metadata=metadata)


def expected_tensors(config: GeneratorConfig) -> dict:
    """The state dict `config` needs, as shapes only: built on PyTorch's meta device, which allocates nothing."""
    torch = require("torch", "loading a PyTorch checkpoint")
    from lowlight_edge.model.generator import AttentionUNet  # imports torch: only when a checkpoint is loaded

    with torch.device("meta"):
        return AttentionUNet(config).state_dict()


def check_state_dict(expected: dict, found: dict, path: Path) -> None:
    """Refuse missing/unexpected keys and wrong shapes, naming the first offending tensor."""
    missing = [k for k in expected if k not in found]
    if missing:
        raise CheckpointError(f"{path}: missing tensor {missing[0]!r} ({len(missing)} missing in all)")
    unexpected = [k for k in found if k not in expected]
    if unexpected:
        raise CheckpointError(f"{path}: unexpected tensor {unexpected[0]!r} ({len(unexpected)} unexpected in all)")
    for key, ref in expected.items():
        got = found[key]
        if tuple(got.shape) != tuple(ref.shape):
            raise CheckpointError(
                f"{path}: tensor {key!r} has shape {tuple(got.shape)}, the architecture needs {tuple(ref.shape)}"
            )
        if not got.is_floating_point():
            raise CheckpointError(f"{path}: tensor {key!r} has dtype {got.dtype}, expected a floating-point type")


def _read_safetensors(path: Path):
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(str(path), framework="pt") as fh:
            metadata = dict(fh.metadata() or {})
            state = {k: fh.get_tensor(k) for k in fh.keys()}
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(f"{path} is not a readable safetensors file ({_first_line(exc)})") from exc
    if _CONFIG_KEY in metadata:
        config = GeneratorConfig.from_json(metadata[_CONFIG_KEY])
    else:
        config = infer_config(state, path)
    return state, config, metadata


def _read_torch_pickle(path: Path):
    import pickle

    torch = require("torch", "loading a .pt checkpoint")
    check_torch_archive(path, "checkpoint")
    try:
        obj = torch.load(str(path), map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        raise CheckpointError(
            f"{path} was refused: it is not a plain state dict and may run code when unpickled "
            f"({_first_line(exc)}); re-save it as safetensors or a weights-only state dict"
        ) from exc
    except (RuntimeError, EOFError, OSError, ValueError, KeyError) as exc:
        raise CheckpointError(f"{path} is not a readable PyTorch checkpoint ({_first_line(exc)})") from exc
    if not isinstance(obj, dict):
        raise CheckpointError(f"{path} holds a {type(obj).__name__}, expected a state dict")
    config_dict = obj.get("config") if isinstance(obj.get("config"), dict) else None
    for key in _NESTED_KEYS:
        if isinstance(obj.get(key), dict):
            obj = obj[key]
            break
    odd_keys = [k for k in obj if not isinstance(k, str)]
    if odd_keys:
        raise CheckpointError(f"{path}: state-dict key {str(odd_keys[0])[:60]!r} is a {type(odd_keys[0]).__name__}, "
                              "not a tensor name")
    state = {k.removeprefix("module."): v for k, v in obj.items() if k != "config"}
    non_tensors = [k for k, v in state.items() if not isinstance(v, torch.Tensor)]
    if non_tensors:
        raise CheckpointError(f"{path}: entry {non_tensors[0]!r} is not a tensor")
    # sparse, quantized-layout or meta tensors would fail (or stay empty) deep inside load_state_dict
    odd = [(k, v) for k, v in state.items() if v.layout != torch.strided or v.device.type not in ("cpu",)]
    if odd:
        name, tensor = odd[0]
        raise CheckpointError(f"{path}: tensor {name!r} is {tensor.layout} on {tensor.device}; only dense tensors "
                              "with their data are accepted")
    config = GeneratorConfig.from_dict(config_dict) if config_dict else infer_config(state, path)
    return state, config, {"format": "torch-state-dict"}


def infer_config(state: dict, path: Path) -> GeneratorConfig:
    """Recover width, depth and attention from tensor shapes (for state dicts saved without config)."""
    first = state.get("encoders.0.0.weight")
    if first is None or len(first.shape) != 4:
        raise CheckpointError(f"{path}: no config in the file and no 'encoders.0.0.weight' to infer it from")
    depth = sum(1 for k in state if k.startswith("encoders.") and k.endswith(".0.weight")) - 1
    attention = any(".gate." in k for k in state)
    return GeneratorConfig(width=int(first.shape[0]), depth=max(depth, 1), in_channels=int(first.shape[1]),
                           attention=attention)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__
