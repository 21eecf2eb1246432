"""`tune`: every variant of the table made, validated and timed here; the fastest within the budget chosen, and the
choice holding on frames it never saw; rows that cannot run or lost say why; `enhance --model tune.json`."""

import json
import math
from pathlib import Path

import pytest

from lowlight_edge.cli import main
from lowlight_edge.engines.variants import VARIANTS
from lowlight_edge.errors import ExportError
from lowlight_edge.tune.job import Candidate, TuneJob, _choose

BUDGET = 0.05
ARGS = ["--shape", "32x32", "--frames", "2", "--runs", "1", "--budget", str(BUDGET)]


@pytest.fixture(scope="module")
def tuned(tiny_checkpoint, tmp_path_factory):
    folder = tmp_path_factory.mktemp("tune")
    code = main(["tune", str(tiny_checkpoint), *ARGS, "--workdir", str(folder / "work"), "-o", str(folder / "out")])
    return code, json.loads((folder / "out" / "tune.json").read_text()), folder


def test_the_choice_is_the_fastest_row_within_the_budget(tuned):
    code, doc, folder = tuned
    assert code == 0 and doc["schema"] == "lowlight-edge.tune/1" and doc["budget"] == BUDGET
    rows = doc["rows"]
    assert {r["variant"] for r in rows} == {v.name for v in VARIANTS}  # every table row is in the table
    assert all(r["verdict"] for r in rows)  # each row says why it won, lost or could not run
    eligible = [r for r in rows if r["median_ms"] is not None and r["lpips_drift_bound"] <= BUDGET]
    assert all(r["lpips_drift_bound"] >= r["lpips_drift"] for r in eligible)  # the bound adds the frames' spread
    choice = doc["choice"]
    assert choice["verdict"] == "chosen" and choice["median_ms"] == min(r["median_ms"] for r in eligible)
    assert [r for r in rows if r["verdict"] == "chosen"] == [choice]
    assert any(r["verdict"].startswith("slower") for r in rows)
    assert any(r["verdict"].startswith("cannot run here") for r in rows)  # no GPU, no TensorRT here
    assert Path(choice["model"]).is_file() and (folder / "out" / "tune.md").read_text().startswith("# Tune")


def test_the_choice_meets_the_budget_on_frames_it_never_saw(tuned, lpips_weights):
    from lowlight_edge.engines.select import open_runner
    from lowlight_edge.metrics.drift import run_drift
    from lowlight_edge.metrics.lpips_backend import load_lpips
    from lowlight_edge.raw.datasets import synthetic_samples
    from lowlight_edge.raw.scenes import HELD_OUT_IMAGES

    _, doc, _ = tuned
    choice = doc["choice"]
    reference = next(r["model"] for r in doc["rows"] if r["variant"] == "fp32")
    with open_runner(Path(reference)) as ref, open_runner(Path(choice["model"]), choice["backend"]) as chosen:
        # frames tune did not validate on: the held-out photographs in the other order, another noise seed
        samples = synthetic_samples(2, seed=7, names=HELD_OUT_IMAGES[::-1], convention=ref.input_convention)
        summaries, _ = run_drift(ref, [chosen], samples, load_lpips(lpips_weights), {"fp32": BUDGET, "int8": BUDGET,
                                                                                      "fp16": BUDGET, "bf16": BUDGET})
    assert summaries[1].images == 2 and summaries[1].aggregate()["lpips_drift"]["mean"] <= BUDGET


def test_enhance_runs_the_choice_of_a_tune_result(tuned, tmp_path, capsys):
    _, doc, folder = tuned
    assert main(["synth", "-o", str(tmp_path / "frames")]) == 0
    assert main(["enhance", str(tmp_path / "frames"), "-o", str(tmp_path / "out"), "--model",
                 str(folder / "out" / "tune.json")]) == 0
    assert f"on {doc['choice']['backend']}" in capsys.readouterr().err
    assert list((tmp_path / "out").glob("*.png"))
    nothing = tmp_path / "nothing.json"
    nothing.write_text(json.dumps({**doc, "choice": None}))
    assert main(["enhance", str(tmp_path / "frames"), "-o", str(tmp_path / "o2"), "--model", str(nothing)]) == 2
    assert "tune chose nothing" in capsys.readouterr().err and not (tmp_path / "o2").exists()


def test_no_row_within_the_budget_names_the_closest_and_chooses_nothing():
    rows = [Candidate("int8-cpu", "ort-cpu", Path("a.onnx"), "int8", drift=0.02, ms=10.0),
            Candidate("fp16", "ort-cuda", Path("b.onnx"), "fp16", skipped="no CUDA"),
            Candidate("int8-tensorrt-w7", "ov-cpu", Path("c.onnx"), "int8", drift=0.03, ms=5.0)]
    result = _choose(rows, TuneJob(budget=0.01))
    assert result.choice is None and result.closest is rows[0]
    assert not any(r.verdict == "chosen" for r in rows)
    assert rows[0].verdict == "over the budget: drift 0.0200 + 2 standard errors = 0.0200 > 0.01"
    assert rows[1].verdict == "cannot run here: no CUDA"
    rows[2].drift = math.inf
    assert "non-finite output" in _choose(rows, TuneJob(budget=0.01)).candidates[2].verdict


def test_tune_exits_1_with_the_table_when_nothing_meets_the_budget(monkeypatch, tmp_path, capsys):
    from lowlight_edge.tune import job

    rows = [Candidate("int8-cpu", "ort-cpu", Path("a.onnx"), "int8", drift=0.02, ms=10.0)]
    monkeypatch.setattr(job, "run_tune", lambda tune_job, log: _choose(rows, tune_job))
    assert main(["tune", "--budget", "0.01", "-o", str(tmp_path)]) == 1
    out = capsys.readouterr()
    assert "No variant meets" in out.err and "the closest is int8-cpu on ort-cpu" in out.err
    assert "chosen" not in (tmp_path / "tune.md").read_text().lower()
    assert json.loads((tmp_path / "tune.json").read_text())["choice"] is None


def test_a_variant_whose_maker_fails_is_a_skipped_row_and_the_others_are_measured(tiny_checkpoint, tmp_path,
                                                                                  monkeypatch):
    from lowlight_edge.tune import variants

    def broken(*_args, **_kwargs):
        raise ExportError("the FP16 graph fails onnx.checker: injected")

    monkeypatch.setitem(variants.MAKERS, "fp16", broken)
    assert main(["tune", str(tiny_checkpoint), *ARGS, "--workdir", str(tmp_path / "w"), "-o", str(tmp_path / "o")]) == 0
    doc = json.loads((tmp_path / "o" / "tune.json").read_text())
    fp16 = [r for r in doc["rows"] if r["variant"] == "fp16"]
    assert fp16 and all("not made: the FP16 graph fails onnx.checker: injected" in r["verdict"] for r in fp16)
    assert doc["choice"] is not None
