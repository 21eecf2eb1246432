"""A checkpoint's config is untrusted: it is validated, and its tensors checked against it, before the network
is built. Each hostile file runs through the CLI in a child process under a memory limit and a timeout."""

import json
import resource
import subprocess
import sys

import pytest

torch = pytest.importorskip("torch")
from safetensors.torch import save_file  # noqa: E402 - after the torch check

MEMORY_LIMIT = 3 * 2**30  # far below what the networks these configs describe would take


def _limit_memory():
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def _checkpoint(path, config_text: str, tensors: dict | None = None):
    save_file(tensors or {"encoders.0.0.weight": torch.zeros(16, 4, 3, 3)}, str(path),
              metadata={"lowlight_edge.config": config_text})
    return path


def _export(path, tmp_path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lowlight_edge", "export", str(path), "-o", str(tmp_path / "m.onnx")],
                          capture_output=True, text=True, timeout=120, preexec_fn=_limit_memory)


def _config(**fields) -> str:
    base = {"width": 16, "depth": 4, "in_channels": 4, "upscale": 2, "out_channels": 3, "attention": True}
    return json.dumps({**base, **fields})


@pytest.mark.parametrize("config_text, message", [
    (_config(width=100_000), "'width' is 100000, outside 1..256"),
    (_config(depth=5000), "'depth' is 5000, outside 1..7"),
    (_config(width="16"), "'width' must be an integer, got str"),
    (_config(width=[16]), "'width' must be an integer, got list"),
    ('{"width": NaN, "depth": 4}', "'width' must be an integer, got float"),
    (_config(width=True), "'width' must be an integer, got bool"),
    (_config(attention="yes"), "'attention' must be true or false"),
    ('{"width": ' + "[" * 100_000 + "]" * 100_000 + "}", "not valid JSON"),
    (_config(surprise=1), "unknown field 'surprise'"),
])
def test_a_hostile_config_is_one_line(tmp_path, config_text, message):
    done = _export(_checkpoint(tmp_path / "c.safetensors", config_text), tmp_path)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2 and "Traceback" not in done.stderr and message in lines[-1]
    assert not (tmp_path / "m.onnx").exists()


def test_a_valid_config_for_a_huge_network_is_checked_against_the_tensors_before_anything_is_built(tmp_path):
    # width 256 and depth 7 describe ~10^10 parameters (40 GB): building it first would be killed by the limit
    done = _export(_checkpoint(tmp_path / "c.safetensors", _config(width=256, depth=7)), tmp_path)
    assert done.returncode == 2 and "missing tensor" in done.stderr.strip().splitlines()[-1]


def test_the_bundled_model_still_loads_under_the_same_limit(tmp_path):
    from lowlight_edge.weights import default_model

    done = _export(default_model(), tmp_path)
    assert done.returncode == 0, done.stderr[-1000:]


def _declare_unpacked_size(path, size: int) -> None:
    """Patch every zip header of `path` to declare `size` unpacked bytes for its first member (a forged bomb:
    the file stays small, the loader would allocate what the header says)."""
    import struct
    import zipfile

    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        first = archive.infolist()[0]
    struct.pack_into("<I", data, first.header_offset + 22, size)  # local file header: uncompressed size
    central = data.find(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, size)  # central directory: uncompressed size
    path.write_bytes(bytes(data))


def _state_dict_archive(path, compression: int):
    """A real `torch.save` state dict, re-packed with `compression`."""
    import zipfile

    plain = path.with_suffix(".plain.pt")
    torch.save({"encoders.0.0.weight": torch.zeros(16, 4, 3, 3)}, plain)
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(path, "w", compression) as target:
        for member in source.infolist():
            target.writestr(member.filename, source.read(member))
    return path


@pytest.mark.parametrize("how", ["deflated, inflating to 64 MiB", "header declaring 2 GiB"])
def test_a_pt_zip_bomb_is_refused_before_torch_unpacks_it(tmp_path, how):
    import zipfile

    path = _state_dict_archive(tmp_path / "bomb.pt", zipfile.ZIP_DEFLATED)
    if how.startswith("deflated"):
        with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("archive/data/999", bytes(64 * 2**20))  # 64 MiB of zeros in ~64 KB
    else:
        _declare_unpacked_size(path, 2**31)
    assert path.stat().st_size < 2**20
    done = _export(path, tmp_path)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr[-500:]
    assert "unpacked bytes" in lines[-1] and "refused" in lines[-1]
    assert not (tmp_path / "m.onnx").exists()


def test_a_stored_pt_archive_passes_the_check_and_the_limit_applies(tmp_path, monkeypatch):
    import zipfile

    from lowlight_edge.errors import InputError
    from lowlight_edge.fileio.limits import check_torch_archive

    path = _state_dict_archive(tmp_path / "ok.pt", zipfile.ZIP_STORED)
    check_torch_archive(path, "checkpoint")  # what torch.save writes passes
    monkeypatch.setenv("LOWLIGHT_EDGE_MAX_UNPACKED_BYTES", "100")
    with pytest.raises(InputError, match="more than the 100 allowed"):
        check_torch_archive(path, "checkpoint")
