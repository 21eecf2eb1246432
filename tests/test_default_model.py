"""The bundled default model: present, small, safe to load, and better than the naive pipeline."""

import pytest

from lowlight_edge.model.checkpoint import load_generator
from lowlight_edge.weights import DEFAULT_MODEL, default_model


def test_bundled_model_ships_as_small_safetensors_with_a_model_card():
    path = default_model()
    assert path.suffix == ".safetensors" and path.stat().st_size <= 10 * 2**20
    assert (path.parent / "MODEL_CARD.md").is_file()
    loaded = load_generator(path)
    assert loaded.config.width == 16
    assert loaded.metadata.get("lowlight_edge.trained") == "true"


def test_bundled_model_beats_the_naive_pipeline_on_held_out_images(lpips_weights):
    import torch

    from lowlight_edge.metrics.lpips_backend import TorchLpips
    from lowlight_edge.train.evaluate import evaluate_held_out

    model = load_generator(DEFAULT_MODEL).model

    def infer(x):
        with torch.inference_mode():
            return model(torch.from_numpy(x)).numpy()

    mean = evaluate_held_out(infer, lpips=TorchLpips(lpips_weights))["mean"]
    # measured at training: +5.09 dB, SSIM 0.505 vs 0.272, LPIPS 0.497 vs 1.032 (MODEL_CARD.md); issue #18 asks
    # for +5 dB (met) and LPIPS <= 0.35, which this CPU-trained model does not reach
    assert mean["model_psnr"] - mean["naive_psnr"] >= 5.0, mean
    assert mean["model_ssim"] > mean["naive_ssim"] + 0.2, mean
    assert mean["model_lpips"] < 0.52 and mean["model_lpips"] < 0.5 * mean["naive_lpips"], mean


def test_bundled_model_never_trained_on_calibration_selection_or_validation_photographs():
    import json
    import re

    from lowlight_edge.raw.scenes import CALIBRATION_IMAGES, HELD_OUT_IMAGES, SELECTION_IMAGES, TRAIN_IMAGES

    data = json.loads((DEFAULT_MODEL.parent / "training_report.json").read_text())["data"]  # what it was trained on
    assert all(name in data for name in TRAIN_IMAGES) and "dead-leaves" in data
    named = set(re.findall(r"[a-z_]+", data))  # whole words: "cameras" is not the photograph "camera"
    assert not [name for name in (*CALIBRATION_IMAGES, *SELECTION_IMAGES, *HELD_OUT_IMAGES, "cat") if name in named]


def test_a_missing_bundled_model_is_one_clear_error(monkeypatch, tmp_path):
    import lowlight_edge.weights as weights
    from lowlight_edge.errors import InputError

    monkeypatch.setattr(weights, "DEFAULT_MODEL", tmp_path / "gone.safetensors")
    with pytest.raises(InputError, match="bundled default model is missing"):
        weights.default_model()
