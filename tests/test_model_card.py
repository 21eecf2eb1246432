"""The model card's before-and-after comparison (`card`, `train --before`): each model's own held-out scores,
frame by frame, and a grid with a column per model."""

import json
from pathlib import Path

import pytest
from PIL import Image

from lowlight_edge.cli import main
from lowlight_edge.errors import InputError
from lowlight_edge.model.checkpoint import load_generator
from lowlight_edge.train.card import torch_infer
from lowlight_edge.train.evaluate import CARD_RESPONSES, HeldOutFrame, evaluate_held_out
from lowlight_edge.train.held_out_grid import CROP, write_held_out_grid

GAP = 6  # between the grid's columns


@pytest.fixture(scope="module")
def trained(tmp_path_factory, lpips_weights):
    """A tiny trained checkpoint with its report, and an untrained one of another seed to compare against."""
    folder = tmp_path_factory.mktemp("card")
    old = folder / "old.safetensors"
    assert main(["init", "-o", str(old), "--width", "4", "--seed", "7"]) == 0
    new = folder / "new.safetensors"
    assert main(["train", "-o", str(new), "--width", "4", "--steps", "2", "--batch", "2", "--patch", "32",
                 "--validate-every", "2", "--seed", "3", "--dead-leaves", "2", "--lpips-weights", str(lpips_weights),
                 "--before", str(old)]) == 0
    return new, old


def _mean_row(card: str, section: str) -> list[str]:
    table = card.split(section, 1)[1]
    row = next(line for line in table.splitlines() if line.startswith("| **mean**"))
    return [cell.strip() for cell in row.strip("|").split("|")][4:]  # after image, camera, ratio and ISO


def test_train_before_compares_each_model_on_the_same_frames(trained):
    new, old = trained
    card = new.with_suffix(".md").read_text()
    assert "## Before and after" in card and load_generator(old).sha256[:12] in card
    # the reference: the earlier model run on the held-out frames directly, without the card code
    earlier = load_generator(old)
    reference = evaluate_held_out(torch_infer(earlier.model), responses=CARD_RESPONSES,
                                  convention=earlier.config.input_convention, with_naive=False)["mean"]
    report = json.loads(new.with_suffix(".json").read_text())["held_out"]["mean"]
    psnr_before, psnr_now = _mean_row(card, "## Before and after")[:2]
    assert psnr_before == f"{reference['model_psnr']:.2f}" and psnr_now == f"{report['model_psnr']:.2f}"
    assert psnr_before != psnr_now  # two different models: the table does not show one model twice
    assert Image.open(new.with_suffix(".png")).width == 4 * (CROP + GAP) - GAP  # naive, before, model, truth


def test_card_rewrites_a_card_from_the_checkpoint_and_its_report(trained, tmp_path, lpips_weights):
    new, old = trained
    out = tmp_path / "card.md"
    assert main(["card", str(new), "-o", str(out), "--lpips-weights", str(lpips_weights)]) == 0
    card = out.read_text()
    assert "Before and after" not in card and "](card.png)" in card and "lowlight-edge train" in card
    assert Image.open(tmp_path / "card.png").width == 3 * (CROP + GAP) - GAP
    assert main(["card", str(new), "-o", str(out), "--before", str(old), "--before-label", "the seed-7 init",
                 "--note", "Why this recipe.", "--lpips-weights", str(lpips_weights), "--force"]) == 0
    card = out.read_text()
    assert "an earlier one, the seed-7 init (sha256" in card and card.rstrip().endswith("Why this recipe.")
    assert _mean_row(card, "## Before and after") == _mean_row(new.with_suffix(".md").read_text(),
                                                               "## Before and after")


def test_card_refuses_a_missing_or_foreign_report_in_one_line(trained, tmp_path, capsys):
    new, _ = trained
    out = tmp_path / "c.md"
    assert main(["card", str(new), "--report", str(tmp_path / "none.json"), "-o", str(out)]) != 0
    assert "no training report" in capsys.readouterr().err
    (tmp_path / "other.json").write_text(json.dumps({"command": "x"}))
    assert main(["card", str(new), "--report", str(tmp_path / "other.json"), "-o", str(out)]) != 0
    err = capsys.readouterr().err.strip()
    assert "not a training report" in err and len(err.splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.json"]



@pytest.mark.parametrize("break_it", [lambda r: r["config"].pop("adv_weight"), lambda r: r.__setitem__("data", 5),
                                      lambda r: r["held_out"].__setitem__("mean", [])])
def test_a_report_the_card_cannot_render_is_refused_before_anything_is_written(trained, tmp_path, capsys, break_it):
    """Issue 29, item 12: `card` wrote c.png and then failed with an internal error (exit 3) on such a report."""
    new, _ = trained
    report = json.loads(new.with_suffix(".json").read_text())
    break_it(report)
    (tmp_path / "r.json").write_text(json.dumps(report))
    out = tmp_path / "cards" / "c.md"
    assert main(["card", str(new), "--report", str(tmp_path / "r.json"), "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert "not a usable training report" in err and len(err.splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json"]  # neither c.md nor c.png, nor an empty folder


def test_a_report_that_is_no_regular_file_or_too_large_is_refused_before_reading(tmp_path, monkeypatch):
    """Issue 29, item 6: `card --report` on a FIFO blocked forever, on /dev/zero it read gigabytes."""
    import os

    from lowlight_edge.train.card import read_report

    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="regular file"):
        read_report(fifo)  # returns at once: nothing opens the FIFO
    with pytest.raises(InputError, match="regular file"):
        read_report(Path("/dev/zero"))
    big = tmp_path / "big.json"
    big.write_text(" " * 2048)
    monkeypatch.setenv("LOWLIGHT_EDGE_MAX_TEXT_BYTES", "1024")
    with pytest.raises(InputError, match="more than the 1,024 allowed"):
        read_report(big)
    monkeypatch.delenv("LOWLIGHT_EDGE_MAX_TEXT_BYTES")
    big.write_text(json.dumps({"command": "x"}))  # the control: a small file is read (and refused for its content)
    with pytest.raises(InputError, match="not a training report"):
        read_report(big)


def test_the_grid_refuses_before_frames_of_other_conditions(tmp_path):
    import numpy as np

    image = np.zeros((8, 8, 3), np.float32)
    frames = [HeldOutFrame("a", 100.0, 1600.0, None, image, image)]
    other = [HeldOutFrame("a", 300.0, 3200.0, None, image, image)]
    with pytest.raises(InputError, match="not the same frames"):
        write_held_out_grid(tmp_path / "g.png", frames, before=other)
    assert not list(tmp_path.iterdir())
