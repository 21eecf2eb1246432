import json

import numpy as np
import pytest

from lowlight_edge.bench.latency import Protocol, measure
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
    run = measure(lambda: calls.append(1), Protocol(warmup=3, runs=5))
    assert len(calls) == 8
    assert len(run.warmup_ms) == 3 and len(run.times_ms) == 5 and run.timer == "host"


def test_warmup_and_runs_by_minimum_time():
    now = [0]  # an injected clock: each call takes exactly 10 ms, however loaded the machine is

    def clock() -> int:
        return now[0]

    def ten_ms_call():
        now[0] += 10_000_000

    run = measure(ten_ms_call, Protocol(warmup=1, warmup_s=0.05, runs=2, min_time_s=0.1), clock=clock)
    assert len(run.warmup_ms) == 5  # 1 by count, but 50 ms of 10 ms calls
    assert len(run.times_ms) == 10 and run.times_ms == [10.0] * 10  # 2 by count, but 100 ms
    capped = measure(ten_ms_call, Protocol(warmup=0, runs=3, min_time_s=60, max_runs=50), clock=clock)
    assert len(capped.times_ms) == 50  # --min-time stops at max_runs


def test_device_times_are_the_series_when_the_call_reports_them():
    times = iter([9.0, 1.0, 2.0, 3.0])
    run = measure(lambda: next(times), Protocol(warmup=1, runs=3))
    assert run.timer == "cuda-events" and run.times_ms == [1.0, 2.0, 3.0] and len(run.host_ms) == 3


@pytest.mark.parametrize("bad", [dict(runs=0), dict(warmup=-1), dict(min_time_s=-1.0), dict(runs=5, max_runs=2)])
def test_protocol_rejects_nonsense(bad):
    with pytest.raises(ValueError):
        Protocol(**bad)


def test_speedup_pairs_rows_with_torch_on_the_same_checkpoint_and_shape():
    def rec(backend, sha, median, shape=(1, 4, 16, 16)):
        return BenchRecord("m", backend, "fp32", list(shape), 0, 1, None, sha, summarize([median]), [median])

    rows = [rec("torch-cpu", "a", 100.0), rec("ort-cpu", "a", 25.0), rec("torch-cpu", "b", 10.0),
            rec("ort-cpu", "b", 5.0), rec("ort-cpu", "c", 5.0), rec("ort-cpu", "a", 40.0, (1, 4, 32, 32)),
            rec("tensorrt", "a", 5.0), rec("torch-cuda", "b", 2.0), rec("tensorrt", "b", 1.0),
            rec("ort-cpu", "a", 100.0, (2, 4, 16, 16))]
    attach_speedups(rows)
    assert [r.speedup_vs_torch for r in rows] == [1.0, 4.0, 1.0, 2.0, None, None, 20.0, 5.0, 2.0, None]
    assert [r.baseline for r in rows[6:9]] == ["torch-cpu", "torch-cpu", "torch-cuda"]  # GPU rows prefer torch-cuda
    assert rows[1].meets_target and not rows[0].meets_target
    assert rows[-1].meets_target  # 100 ms for a batch of 2 is 50 ms per image


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
    assert [(r["backend"], r["mode"], r["shape"]) for r in records] == [
        ("torch-cpu", "model", [1, 4, 32, 32]), ("torch-cpu", "compute", [1, 4, 32, 32]),
        ("torch-cpu", "model", [1, 4, 16, 48]), ("torch-cpu", "compute", [1, 4, 16, 48]),
        ("ort-cpu", "model", [1, 4, 32, 32]), ("ort-cpu", "compute", [1, 4, 32, 32]),
        ("ort-cpu", "model", [1, 4, 16, 48]), ("ort-cpu", "compute", [1, 4, 16, 48]),
    ]
    for r in records:
        assert len(r["times_ms"]) == 3 and r["runs"] == 3 and r["warmup"] == 1 and r["threads"] == 1
        assert r["timer"] == "host" and r["skipped"] is None
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


def test_end_to_end_stages_and_every_output_format(tiny_checkpoint, tiny_onnx, tmp_path, capsys):
    from lowlight_edge.raw.synth_frames import write_frames

    rng = np.random.default_rng(0)
    frame = write_frames(tmp_path / "f", {"x": rng.random((96, 128, 3)).astype(np.float32)})[0]
    out = {kind: tmp_path / f"b.{kind}" for kind in ("json", "csv", "md")}
    code = main(["bench", str(tiny_checkpoint), str(tiny_onnx), "--shape", "32x32", "--raw", str(frame.dng), "--png",
                 "--view", "model",
                 "--runs", "2", "--warmup", "1", "--no-progress", "--json", str(out["json"]), "--csv", str(out["csv"]),
                 "--markdown", str(out["md"])])
    assert code == 0
    records = json.loads(out["json"].read_text())["records"]
    e2e = [r for r in records if r["mode"] == "end-to-end"]
    assert len(e2e) == 2 and e2e[0]["shape"] == [1, 4, 48, 64]  # 96x128 RAW -> 48x64 packed, a multiple of 16
    for r in e2e:
        assert list(r["stages"]) == ["decode", "pack", "inference", "postprocess", "encode"]  # CPU: no h2d/d2h
        parts = sum(s["median_ms"] for s in r["stages"].values())
        assert parts == pytest.approx(r["stats"]["median_ms"], rel=0.5)  # medians of parts ~ median of sums
    onnx_rows = [r for r in records if r["backend"] == "ort-cpu"]
    assert all(r["flops"] > 0 and r["gflops_per_s"] > 0 for r in onnx_rows)
    torch_row = next(r for r in records if r["backend"] == "torch-cpu" and r["mode"] == "model")
    assert torch_row["flops"] == onnx_rows[0]["flops"]  # same architecture, same shape
    import csv

    rows = list(csv.DictReader(out["csv"].open()))
    assert len(rows) == 4 and rows[0]["median_ms"] and "decode_median_ms" in rows[0]
    assert "End to end, median per stage" in out["md"].read_text()
    assert "host pre/post share" in capsys.readouterr().out


def test_flops_of_a_known_convolution(tmp_path):
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    from lowlight_edge.bench.flops import conv_flops

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 4, "h", "w"])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    w = numpy_helper.from_array(np.zeros((8, 4, 3, 3), np.float32), "w")
    node = helper.make_node("Conv", ["x", "w"], ["y"], pads=[1, 1, 1, 1])
    onnx.save(helper.make_model(helper.make_graph([node], "g", [x], [y], [w]),
                                opset_imports=[helper.make_opsetid("", 17)]), str(tmp_path / "c.onnx"))
    assert conv_flops(tmp_path / "c.onnx", (1, 4, 10, 20)) == 2 * (8 * 10 * 20) * (4 * 3 * 3)


def test_report_merges_two_devices(tmp_path, capsys):
    from lowlight_edge.bench.records import to_document

    def doc(host, median):
        record = BenchRecord("m.onnx", "ort-cpu", "fp32", [1, 4, 512, 512], 1, 3, None, "s", summarize([median]), [median])
        return to_document([record], {"host": host, "cpu": "cpu", "gpu": None})

    a, b = tmp_path / "orin.json", tmp_path / "desk.json"
    a.write_text(json.dumps(doc("orin", 55.0)))
    b.write_text(json.dumps(doc("desk", 12.5)))
    assert main(["report", str(a), str(b), "-o", str(tmp_path / "r.md")]) == 0
    text = (tmp_path / "r.md").read_text()
    row = next(line for line in text.splitlines() if line.startswith("| m.onnx"))
    assert "55.0 *" in row and "12.5 *" in row and "orin (cpu)" in text and "desk (cpu)" in text
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    assert main(["report", str(bad)]) == 2
