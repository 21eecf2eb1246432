import json

import numpy as np
import pytest
import torch

from lowlight_edge.cli import main
from lowlight_edge.model.checkpoint import load_generator
from lowlight_edge.model.config import GeneratorConfig
from lowlight_edge.raw.pairs import make_pair
from lowlight_edge.raw.scenes import HELD_OUT_IMAGES, TRAIN_IMAGES
from lowlight_edge.train.gan import TrainConfig, train_gan
from lowlight_edge.train.synthetic import PatchSampler


def _tiny_run(seed):
    config = TrainConfig(generator=GeneratorConfig(width=4), steps=3, batch=2, patch=32, disc_width=4, seed=seed,
                         validate_every=2)
    sampler = PatchSampler(("astronaut",), config.patch, seed)
    return train_gan(config, sampler.batch, validate=lambda model: {"val": 1.0})


def test_training_is_deterministic_for_a_seed():
    a, b, c = _tiny_run(0), _tiny_run(0), _tiny_run(1)
    sa, sb, sc = a.model.state_dict(), b.model.state_dict(), c.model.state_dict()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    assert not all(torch.equal(sa[k], sc[k]) for k in sa)
    assert a.steps_done == 3 and [h["step"] for h in a.history] == [2, 3]


def test_held_out_images_are_never_trained_on():
    assert not set(HELD_OUT_IMAGES) & set(TRAIN_IMAGES)


def test_synthetic_batches_are_packed_frames_and_clean_targets():
    packed, target = PatchSampler(("coffee",), 32, 0).batch(3)
    assert packed.shape == (3, 4, 32, 32) and target.shape == (3, 3, 64, 64)
    assert packed.dtype == target.dtype == np.float32
    assert 0 <= packed.min() and packed.max() <= 1 and 0 <= target.min() and target.max() <= 1


def test_make_pair_brightness_matches_truth_on_average():
    clean = np.full((64, 64, 3), 0.5, np.float32)
    pair = make_pair(clean, np.random.default_rng(0), ratio=100, iso=800, phase="RGGB")
    # amplified packed frame is linear: mean ~ inverse-gamma of 0.5 (~0.214)
    assert pair.packed.mean() == pytest.approx(0.214, abs=0.01)


def test_train_cli_writes_checkpoint_report_and_card(tmp_path):
    out = tmp_path / "m.safetensors"
    code = main(["train", "-o", str(out), "--width", "4", "--steps", "2", "--batch", "2", "--patch", "32",
                 "--validate-every", "1", "--seed", "3"])
    assert code == 0
    assert load_generator(out).config.width == 4
    report = json.loads(out.with_suffix(".json").read_text())
    assert report["steps_done"] == 2 and len(report["history"]) == 2
    assert {r["image"] for r in report["held_out"]["rows"]} == set(HELD_OUT_IMAGES)
    card = out.with_suffix(".md").read_text()
    assert "naive PSNR" in card and "lowlight-edge train" in card


def test_train_rejects_bad_patch(tmp_path, capsys):
    assert main(["train", "-o", str(tmp_path / "m.safetensors"), "--patch", "20"]) == 2
    assert "--patch" in capsys.readouterr().err
