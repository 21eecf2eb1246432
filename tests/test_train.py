import json

import numpy as np
import pytest
import torch

from lowlight_edge.cli import main
from lowlight_edge.model.checkpoint import load_generator
from lowlight_edge.model.config import GeneratorConfig
from lowlight_edge.raw.pairs import make_pair
from lowlight_edge.raw.scenes import HELD_OUT_IMAGES, TRAIN_IMAGES
from lowlight_edge.train.evaluate import CARD_RESPONSES
from lowlight_edge.train.gan import TrainConfig, train_gan
from lowlight_edge.train.synthetic import synthetic_factory


def _tiny_run(seed, **config_args):
    config = TrainConfig(generator=GeneratorConfig(width=4), steps=3, batch=2, patch=32, disc_width=4, seed=seed,
                         validate_every=2, **config_args)
    factory, _ = synthetic_factory(config.patch, seed, "cpu", procedural=2, procedural_share=0.5)
    return train_gan(config, factory.batch, validate=lambda model: {"val": 1.0})


def test_training_is_deterministic_for_a_seed():
    a, b, c = _tiny_run(0), _tiny_run(0), _tiny_run(1)
    sa, sb, sc = a.model.state_dict(), b.model.state_dict(), c.model.state_dict()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    assert not all(torch.equal(sa[k], sc[k]) for k in sa)
    assert a.steps_done == 3 and [h["step"] for h in a.history] == [2, 3]


def test_held_out_images_are_never_trained_on():
    assert not set(HELD_OUT_IMAGES) & set(TRAIN_IMAGES)


def test_the_perceptual_term_changes_what_is_learned(lpips_weights):
    plain, perceptual = _tiny_run(0), _tiny_run(0, lpips_weight=0.5, lpips_weights=str(lpips_weights))
    assert "lpips" in perceptual.history[-1] and "lpips" not in plain.history[-1]
    sa, sb = plain.model.state_dict(), perceptual.model.state_dict()
    assert not all(torch.equal(sa[k], sb[k]) for k in sa)


def test_make_pair_brightness_matches_truth_on_average():
    clean = np.full((64, 64, 3), 0.5, np.float32)
    pair = make_pair(clean, np.random.default_rng(0), ratio=100, iso=800, phase="RGGB")
    # amplified packed frame is linear: mean ~ inverse-gamma of 0.5 (~0.214)
    assert pair.packed.mean() == pytest.approx(0.214, abs=0.01)


def test_train_cli_writes_checkpoint_report_and_card(tmp_path):
    out = tmp_path / "m.safetensors"
    code = main(["train", "-o", str(out), "--width", "4", "--steps", "2", "--batch", "2", "--patch", "32",
                 "--validate-every", "1", "--seed", "3", "--dead-leaves", "2"])
    assert code == 0
    loaded = load_generator(out)
    assert loaded.config.width == 4 and loaded.config.input_convention == "neutral"  # synthetic data's default
    report = json.loads(out.with_suffix(".json").read_text())
    assert report["steps_done"] == 2 and len(report["history"]) == 2
    assert {r["image"] for r in report["held_out"]["rows"]} == set(HELD_OUT_IMAGES)
    assert [(g["camera"], g["light"]) for g in report["held_out"]["by_response"]] == list(CARD_RESPONSES)
    card = out.with_suffix(".md").read_text()
    assert "naive PSNR" in card and "lowlight-edge train" in card and "dead-leaves" in card
    colours = card.split("## Colour: one row per camera response", 1)[1]
    assert "**neutral**" in card and all(f"| {key}" in colours for key, _ in CARD_RESPONSES)
    assert f"]({out.stem}.png)" in card and out.with_suffix(".png").read_bytes()[:4] == b"\x89PNG"


def test_init_starts_from_an_earlier_checkpoint_of_the_same_architecture(tiny_checkpoint, tmp_path, capsys):
    args = ["train", "--steps", "1", "--batch", "2", "--patch", "32", "--dead-leaves", "2", "--validate-every", "5",
            "--init", str(tiny_checkpoint), "--lr", "1e-12", "--input-convention", "camera"]
    assert main([*args, "-o", str(tmp_path / "wide.safetensors"), "--width", "8"]) == 2
    assert "--init" in capsys.readouterr().err and not list(tmp_path.iterdir())
    out = tmp_path / "m.safetensors"
    assert main([*args, "-o", str(out), "--width", "4"]) == 0
    start, now = load_generator(tiny_checkpoint).model.state_dict(), load_generator(out).model.state_dict()
    assert all(torch.allclose(start[k], now[k], atol=1e-6) for k in start)
    assert load_generator(out).config.input_convention == "camera"
    assert json.loads(out.with_suffix(".json").read_text())["config"]["init"] == str(tiny_checkpoint)


@pytest.mark.parametrize("adv_weight", [0.01, 0.0])
def test_the_model_card_says_whether_the_adversarial_term_steered_the_generator(adv_weight):
    from lowlight_edge.train.model_card import training_kind

    kind = training_kind({"l1_weight": 1.0, "adv_weight": adv_weight, "lpips_weight": 0.2, "disc_width": 32})
    assert ("conditional GAN" in kind) == bool(adv_weight)
    assert ("adversarial weight 0.01" in kind) == bool(adv_weight) and ("term off" in kind) == (not adv_weight)


@pytest.mark.parametrize("args, message", [
    (["--amp"], "--amp"),
    (["--device", "cuda"], "sees no CUDA device"),
    (["--device", "gpu"], "--device must be cpu, cuda or cuda:N"),
    (["--lpips-weight", "-1"], "--lpips-weight"),
    (["--dead-leaves", "0"], "--procedural-share"),
])
def test_train_refuses_bad_options_in_one_line_before_writing(tmp_path, capsys, args, message):
    if "cuda" in args and torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    out = tmp_path / "m.safetensors"
    assert main(["train", "-o", str(out), "--steps", "1", *args]) != 0
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1
    assert not list(tmp_path.iterdir())


def test_train_rejects_bad_patch(tmp_path, capsys):
    assert main(["train", "-o", str(tmp_path / "m.safetensors"), "--patch", "20"]) == 2
    assert "--patch" in capsys.readouterr().err
