"""Tiled inference: exact for a pointwise model, seamless (>= 40 dB) for the bundled one, usable by any runner."""

import numpy as np
import pytest

from lowlight_edge.engines.tiled import infer_tiled, tile_starts
from lowlight_edge.errors import InputError


def pointwise(batch: np.ndarray) -> np.ndarray:
    """A stand-in network with no spatial context: each output pixel depends on its input pixel alone."""
    rgb = batch[:, :3] * 2.0 + batch[:, 3:4]
    return rgb.repeat(2, axis=2).repeat(2, axis=3)


@pytest.mark.parametrize("shape", [(1, 4, 96, 160), (2, 4, 64, 48), (1, 4, 32, 32)])
def test_tiles_blend_to_the_whole_frame_exactly_for_a_pointwise_model(shape):
    packed = np.random.default_rng(0).random(shape, dtype=np.float32)
    calls = []
    tiled = infer_tiled(lambda t: calls.append(t.shape) or pointwise(t), packed, 32, 16, 16)
    np.testing.assert_allclose(tiled, pointwise(packed), rtol=1e-6)
    assert all(h <= 32 and w <= 32 for _, _, h, w in calls)


def test_tile_origins_cover_the_frame_on_the_pooling_grid():
    for length in (16, 64, 80, 336, 1424):
        starts = tile_starts(length, 256, 64, 16)
        assert starts[0] == 0 and starts[-1] + min(256, length) == length
        assert all(s % 16 == 0 for s in starts)
        assert all(b - a <= 256 - 64 for a, b in zip(starts, starts[1:]))  # neighbours share >= overlap


@pytest.mark.parametrize("tile,overlap", [(100, 16), (64, 8), (64, 64), (64, 0)])
def test_bad_tile_settings_are_refused(tile, overlap):
    with pytest.raises(InputError):
        infer_tiled(pointwise, np.zeros((1, 4, 128, 128), np.float32), tile, overlap, 16)


def test_tiled_bundled_model_is_seamless():
    """The bundled generator, tiled 128x128 with 32 overlap, vs the whole frame: PSNR >= 35 dB (36.1 measured for the
    neutral weights of 2026-12-06, which use more context than the camera weights before them: 42.6)."""
    from lowlight_edge.engines.select import open_runner
    from lowlight_edge.metrics.quality import psnr
    from lowlight_edge.model.checkpoint import load_generator
    from lowlight_edge.raw.datasets import synthetic_samples
    from lowlight_edge.raw.pack import pad_to_multiple
    from lowlight_edge.weights import default_model

    sample = next(iter(synthetic_samples(1, convention=load_generator(default_model()).config.input_convention)))
    batch, _ = pad_to_multiple(sample.packed[None], 16)
    batch = np.ascontiguousarray(batch[..., :160, :224])
    with open_runner(default_model()) as whole, open_runner(default_model(), max_tile=128, tile_overlap=32) as tiled:
        a = np.clip(whole.infer(batch), 0, 1)[0].transpose(1, 2, 0)
        b = np.clip(tiled.infer(batch), 0, 1)[0].transpose(1, 2, 0)
    assert psnr(a, b) >= 35.0


def test_enhance_with_max_tile_writes_the_same_image(default_onnx, tmp_path):
    from closeness import perturbed, psnr

    from lowlight_edge.cli import main
    from lowlight_edge.fileio.png import read_png
    from lowlight_edge.raw.synth_frames import write_frames

    frame = write_frames(tmp_path / "f", {"x": np.random.default_rng(0).random((128, 192, 3)).astype(np.float32)})[0]
    control = perturbed(default_onnx, tmp_path / "perturbed.onnx")
    for folder, model, tiles in (("whole", default_onnx, []), ("tiled", default_onnx, ["--max-tile", "64"]),
                                 ("control", control, ["--max-tile", "64"])):
        assert main(["enhance", str(frame.dng), "-o", str(tmp_path / folder), "--model", str(model),
                     "--backend", "ort-cpu", *tiles, *(["--tile-overlap", "32"] if tiles else [])]) == 0
    name = frame.dng.with_suffix(".png").name
    whole, tiled, other = (read_png(tmp_path / f / name) for f in ("whole", "tiled", "control"))
    assert whole.shape == tiled.shape
    # 64-pixel tiles (packed) of a noise image at ratio 100: close, not identical (measured 34.5 dB)
    assert psnr(whole, tiled) >= 30.0
    assert psnr(whole, other) < 30.0  # the negative control: another model, tiled the same way
