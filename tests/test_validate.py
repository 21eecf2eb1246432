import json

import numpy as np
import pytest
import torch

from lowlight_edge.cli import main
from lowlight_edge.errors import InputError
from lowlight_edge.metrics.drift import parse_budgets
from lowlight_edge.model.checkpoint import load_generator, save_generator


@pytest.fixture(scope="module", autouse=True)
def _weights():
    from lowlight_edge.metrics.lpips_weights import resolve

    try:
        resolve()
    except InputError as exc:
        pytest.skip(f"{exc} (make test provisions them)")


@pytest.fixture(scope="module")
def perturbed(tiny_checkpoint, tmp_path_factory):
    """The tiny model with its head nudged: a stand-in for a lossy variant."""
    model = load_generator(tiny_checkpoint).model
    with torch.no_grad():
        model.head.weight.mul_(1.5)
        model.head.bias.add_(0.05)
    return save_generator(model, tmp_path_factory.mktemp("p") / "perturbed.safetensors")


@pytest.fixture(scope="module")
def nan_model(tiny_checkpoint, tmp_path_factory):
    model = load_generator(tiny_checkpoint).model
    with torch.no_grad():
        model.head.bias.fill_(float("nan"))
    return save_generator(model, tmp_path_factory.mktemp("n") / "nan.safetensors")


def test_a_model_against_itself_has_zero_drift_and_passes(tiny_checkpoint, tiny_onnx, tmp_path, capsys):
    report = tmp_path / "r.json"
    code = main(["validate", "--reference", str(tiny_checkpoint), "--candidate", str(tiny_onnx), "--candidate",
                 str(tiny_checkpoint), "--synthetic", "2", "--json", str(report), "--markdown", str(tmp_path / "r.md"),
                 "--grids", str(tmp_path / "grids")])
    assert code == 0
    doc = json.loads(report.read_text())
    ort_row, self_row = doc["models"][1], doc["models"][2]
    assert self_row["lpips_drift"]["max"] == 0.0 and self_row["psnr_vs_ref"]["mean"] is None  # identical: inf
    assert ort_row["lpips_drift"]["max"] < 1e-3 and ort_row["passed"]
    assert doc["models"][0]["role"] == "reference" and doc["models"][0]["psnr_vs_gt"]["mean"] > 0  # GT known
    assert len(doc["images"]) == 2 * 3
    assert len(list((tmp_path / "grids").glob("*.png"))) == 4
    assert "# Validation report" in (tmp_path / "r.md").read_text()
    assert "all candidates within budget" in capsys.readouterr().err


def test_a_perturbed_model_drifts_and_fails_a_tight_budget(tiny_checkpoint, perturbed, tmp_path, capsys):
    code = main(["validate", "--reference", str(tiny_checkpoint), "--candidate", str(perturbed), "--synthetic", "1",
                 "--budget", "0.0001", "--json", str(tmp_path / "r.json")])
    assert code == 1
    doc = json.loads((tmp_path / "r.json").read_text())
    assert doc["models"][1]["lpips_drift"]["mean"] > 0.0001 and doc["models"][1]["passed"] is False
    assert "FAIL" in capsys.readouterr().err


def test_nan_outputs_fail_with_the_count_named(tiny_checkpoint, nan_model, capsys):
    code = main(["validate", "--reference", str(tiny_checkpoint), "--candidate", str(nan_model), "--synthetic", "2"])
    assert code == 1
    assert "2 non-finite outputs" in capsys.readouterr().err


def test_validate_on_a_folder_of_dng_files_with_ground_truth(tiny_checkpoint, tiny_onnx, tmp_path):
    from lowlight_edge.raw.synth_frames import write_frames

    rng = np.random.default_rng(0)
    write_frames(tmp_path / "data", {"x": rng.random((64, 64, 3)).astype(np.float32)})
    code = main(["validate", "--reference", str(tiny_checkpoint), "--candidate", str(tiny_onnx), "--data",
                 str(tmp_path / "data"), "--json", str(tmp_path / "r.json")])
    assert code == 0
    doc = json.loads((tmp_path / "r.json").read_text())
    assert doc["models"][1]["lpips_vs_gt"]["mean"] is not None


def test_budgets():
    assert parse_budgets(None) == {"fp32": 0.002, "fp16": 0.002, "bf16": 0.002, "int8": 0.01, "int8-bf16": 0.01}  # documented
    assert parse_budgets(["int8=0.02"])["int8"] == 0.02
    assert set(parse_budgets(["0.5"]).values()) == {0.5}
    with pytest.raises(InputError):
        parse_budgets(["int8=lots"])
