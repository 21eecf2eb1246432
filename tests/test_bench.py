import json

import numpy as np
import pytest

from lowlight_edge.bench.latency import measure
from lowlight_edge.bench.records import SCHEMA, BenchRecord, attach_speedups
from lowlight_edge.bench.shapes import parse_shape
from lowlight_edge.bench.stats import summarize
from lowlight_edge.cli import main
from lowlight_edge.errors import InputError


def test_statistics_of_a_known_series():
    s = summarize(list(range(1, 101)))  # 1..100 ms
    assert s["median_ms"] == pytest.approx(50.5)
    assert s["p90_ms"] == pytest.approx(90.1)
    assert s["p99_ms"] == pytest.approx(99.01)
    assert s["mean_ms"] == pytest.approx(50.5)
    assert s["std_ms"] == pytest.approx(np.std(np.arange(1, 101)))
    assert (s["min_ms"], s["max_ms"]) == (1, 100)
    assert s["images_per_s"] == pytest.approx(1000 / 50.5)
    with pytest.raises(ValueError):
        summarize([])


def test_warmup_runs_are_not_in_the_timed_series():
    calls = []
    run = measure(lambda x: calls.append(x), np.zeros(1), warmup=3, runs=5)
    assert len(calls) == 8
    assert len(run.warmup_ms) == 3 and len(run.times_ms) == 5


def test_speedup_pairs_rows_with_torch_on_the_same_checkpoint_and_shape():
    def rec(backend, sha, median, shape=(1, 4, 16, 16)):
        return BenchRecord("m", backend, "fp32", list(shape), 0, 1, None, sha, summarize([median]), [median])

    rows = [rec("torch-cpu", "a", 100.0), rec("ort-cpu", "a", 25.0), rec("torch-cpu", "b", 10.0),
            rec("ort-cpu", "b", 5.0), rec("ort-cpu", "c", 5.0), rec("ort-cpu", "a", 40.0, (1, 4, 32, 32))]
    attach_speedups(rows)
    assert [r.speedup_vs_torch for r in rows] == [1.0, 4.0, 1.0, 2.0, None, None]
    assert rows[1].meets_target and not rows[0].meets_target


@pytest.mark.parametrize("text,expected", [("512x512", (512, 512)), ("1424X2128", (1424, 2128))])
def test_parse_shape(text, expected):
    assert parse_shape(text) == expected


@pytest.mark.parametrize("text", ["512", "axb", "0x16", "16x16x16"])
def test_parse_shape_rejects_garbage(text):
    with pytest.raises(InputError):
        parse_shape(text)


def test_bench_cli_writes_one_record_per_model_and_shape(tiny_checkpoint, tiny_onnx, tmp_path, capsys):
    out = tmp_path / "bench.json"
    code = main(["bench", str(tiny_checkpoint), str(tiny_onnx), "--shape", "32x32", "--shape", "16x48",
                 "--runs", "3", "--warmup", "1", "--threads", "1", "--no-progress", "--json", str(out)])
    assert code == 0
    doc = json.loads(out.read_text())
    assert doc["schema"] == SCHEMA and doc["target_s"] == 0.06
    assert doc["environment"]["cpu_count"] >= 1 and "onnxruntime" in doc["environment"]["libraries"]
    records = doc["records"]
    assert [(r["backend"], r["shape"]) for r in records] == [
        ("torch-cpu", [1, 4, 32, 32]), ("torch-cpu", [1, 4, 16, 48]),
        ("ort-cpu", [1, 4, 32, 32]), ("ort-cpu", [1, 4, 16, 48]),
    ]
    for r in records:
        assert len(r["times_ms"]) == 3 and r["runs"] == 3 and r["warmup"] == 1 and r["threads"] == 1
        assert set(r["stats"]) >= {"median_ms", "p90_ms", "p99_ms", "mean_ms", "std_ms"}
        assert r["stats"]["min_ms"] <= r["stats"]["median_ms"] <= r["stats"]["max_ms"]
        assert r["speedup_vs_torch"] > 0  # each ONNX row is paired with its checkpoint's torch row
    table = capsys.readouterr().out
    assert "torch-cpu" in table and "ort-cpu" in table and "vs torch" in table


def test_bench_refuses_to_overwrite_results_before_measuring(tiny_onnx, tmp_path, capsys):
    out = tmp_path / "bench.json"
    out.write_text("{}")
    assert main(["bench", str(tiny_onnx), "--shape", "16x16", "--json", str(out), "--no-progress"]) == 2
    assert "already exists" in capsys.readouterr().err
    assert out.read_text() == "{}"
