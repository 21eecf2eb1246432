import os
import pickle

import pytest
import torch
from safetensors.torch import save_file

from lowlight_edge.errors import CheckpointError, OutputError
from lowlight_edge.model.checkpoint import load_generator, save_generator
from lowlight_edge.model.config import GeneratorConfig
from lowlight_edge.model.generator import AttentionUNet


def _model(width=4, seed=0, **kw):
    torch.manual_seed(seed)
    return AttentionUNet(GeneratorConfig(width=width, **kw)).eval()


def _same_output(a, b):
    x = torch.rand(1, 4, 32, 32)
    with torch.no_grad():
        return torch.equal(a(x), b(x))


def test_safetensors_round_trip_needs_no_architecture_arguments(tmp_path):
    model = _model(width=6, depth=3, attention=False)
    path = save_generator(model, tmp_path / "g.safetensors")
    loaded = load_generator(path)
    assert loaded.config == model.config
    assert _same_output(model, loaded.model)
    assert len(loaded.sha256) == 64


def test_pt_state_dict_round_trip_with_and_without_config(tmp_path):
    model = _model(width=6)
    with_cfg = tmp_path / "with.pt"
    torch.save({"config": {"width": 6}, "generator": model.state_dict()}, with_cfg)
    bare = tmp_path / "bare.pth"
    torch.save({f"module.{k}": v for k, v in model.state_dict().items()}, bare)  # DataParallel-style keys
    for path in (with_cfg, bare):
        loaded = load_generator(path)
        assert loaded.config.width == 6
        assert _same_output(model, loaded.model)


class _RunsCode:
    """A pickle payload that would create a file if unpickled freely."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_malicious_pickle_is_refused_and_its_code_never_runs(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    with open(path, "wb") as fh:
        pickle.dump({"encoders.0.0.weight": _RunsCode(marker)}, fh)
    with pytest.raises(CheckpointError, match="refused"):
        load_generator(path)
    assert not marker.exists()
    # The same payload in torch's zip container is refused as well.
    zipped = tmp_path / "evil_zip.pt"
    torch.save({"x": _RunsCode(marker)}, zipped)
    with pytest.raises(CheckpointError, match="refused"):
        load_generator(zipped)
    assert not marker.exists()


def test_unexpected_key_is_named(tmp_path):
    state = dict(_model().state_dict())
    state["extra.weight"] = torch.zeros(1)
    path = tmp_path / "extra.safetensors"
    save_file(state, str(path), metadata={"lowlight_edge.config": GeneratorConfig(width=4).to_json()})
    with pytest.raises(CheckpointError, match="unexpected tensor 'extra.weight'"):
        load_generator(path)


def test_missing_key_is_named(tmp_path):
    state = dict(_model().state_dict())
    del state["head.bias"]
    path = tmp_path / "missing.safetensors"
    save_file(state, str(path), metadata={"lowlight_edge.config": GeneratorConfig(width=4).to_json()})
    with pytest.raises(CheckpointError, match="missing tensor 'head.bias'"):
        load_generator(path)


def test_wrong_shape_is_named(tmp_path):
    state = dict(_model().state_dict())
    state["head.bias"] = torch.zeros(7)
    path = tmp_path / "shape.safetensors"
    save_file(state, str(path), metadata={"lowlight_edge.config": GeneratorConfig(width=4).to_json()})
    with pytest.raises(CheckpointError, match=r"'head.bias' has shape \(7,\)"):
        load_generator(path)


@pytest.mark.parametrize("content", [b"", b"not a checkpoint at all", b"\x00" * 64])
def test_corrupt_files_give_one_clear_error(tmp_path, content):
    for suffix in (".safetensors", ".pt"):
        path = tmp_path / f"bad{suffix}"
        path.write_bytes(content)
        with pytest.raises(CheckpointError) as info:
            load_generator(path)
        assert "\n" not in str(info.value)


def test_truncated_safetensors_is_refused(tmp_path):
    path = save_generator(_model(), tmp_path / "g.safetensors")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="not a readable safetensors"):
        load_generator(path)


def test_unsupported_suffix_and_missing_file(tmp_path):
    with pytest.raises(CheckpointError, match="not found"):
        load_generator(tmp_path / "nope.safetensors")
    other = tmp_path / "model.bin"
    other.write_bytes(b"x")
    with pytest.raises(CheckpointError, match="unsupported checkpoint type"):
        load_generator(other)


def test_save_refuses_overwrite_without_force(tmp_path):
    path = save_generator(_model(), tmp_path / "g.safetensors")
    with pytest.raises(OutputError, match="already exists"):
        save_generator(_model(seed=1), path)
    save_generator(_model(seed=1), path, force=True)
    assert _same_output(_model(seed=1), load_generator(path).model)
