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


def test_bundled_model_beats_the_naive_pipeline_by_3_db_on_held_out_images():
    import torch

    from lowlight_edge.train.evaluate import evaluate_held_out

    model = load_generator(DEFAULT_MODEL).model

    def infer(x):
        with torch.inference_mode():
            return model(torch.from_numpy(x)).numpy()

    result = evaluate_held_out(infer)
    margin = result["mean"]["model_psnr"] - result["mean"]["naive_psnr"]
    assert margin >= 3.0, result["mean"]
    assert result["mean"]["model_ssim"] > result["mean"]["naive_ssim"]


def test_a_missing_bundled_model_is_one_clear_error(monkeypatch, tmp_path):
    import lowlight_edge.weights as weights
    from lowlight_edge.errors import InputError

    monkeypatch.setattr(weights, "DEFAULT_MODEL", tmp_path / "gone.safetensors")
    with pytest.raises(InputError, match="bundled default model is missing"):
        weights.default_model()
