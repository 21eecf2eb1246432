import json
import subprocess
import sys
from pathlib import Path

import pytest

from lowlight_edge.cli import build_parser, main

COMMANDS = ["init", "export", "quantize", "check", "build", "bench", "enhance", "inspect", "synth", "train", "weights",
            "metrics", "validate", "tune", "report", "demo"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_subcommand_explains_itself(command, capsys):
    with pytest.raises(SystemExit) as info:
        main([command, "--help"])
    assert info.value.code == 0
    text = capsys.readouterr().out
    assert f"lowlight-edge {command}" in text and len(text.splitlines()) > 5


def test_parser_lists_all_commands():
    help_text = build_parser().format_help()
    assert all(c in help_text for c in COMMANDS)


HEAVY = ("onnx", "torch", "onnxruntime", "openvino", "rawpy", "tifffile", "scipy", "skimage")


def test_starting_the_cli_imports_no_heavy_library():
    # `--help` and argument errors answer at once: each of these takes a noticeable time to import
    probe = ("import sys; from lowlight_edge.cli import build_parser; "
             "build_parser().parse_args(['enhance', 'x.dng', '-o', 'o']); "
             f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.strip() == "[]"
    control = subprocess.run([sys.executable, "-c", probe.replace("import sys;", "import sys, onnx;")],
                             capture_output=True, text=True, timeout=120, check=True)
    assert control.stdout.strip() == "['onnx']"  # the probe sees an import when there is one


def _run_cli(*args):
    return subprocess.run([sys.executable, "-m", "lowlight_edge", *args], capture_output=True, text=True, timeout=300)


def test_errors_are_one_line_without_traceback(tmp_path):
    result = _run_cli("export", str(tmp_path / "missing.safetensors"), "-o", str(tmp_path / "m.onnx"))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("lowlight-edge: error:") and "not found" in lines[0]
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "m.onnx").exists()


def test_debug_shows_the_traceback(tmp_path):
    result = _run_cli("--debug", "bench", str(tmp_path / "missing.onnx"), "--shape", "16x16")
    assert result.returncode != 0 and "Traceback" in result.stderr


def test_init_writes_checkpoint_and_refuses_overwrite(tmp_path, capsys):
    path = tmp_path / "g.safetensors"
    assert main(["init", "--width", "4", "--seed", "3", "-o", str(path)]) == 0
    first = path.read_bytes()
    assert main(["init", "--width", "4", "--seed", "4", "-o", str(path)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert path.read_bytes() == first
    assert main(["init", "--width", "4", "--seed", "4", "-o", str(path), "--force"]) == 0
    assert path.read_bytes() != first


def test_init_is_deterministic_for_a_seed(tmp_path):
    a, b = tmp_path / "a.safetensors", tmp_path / "b.safetensors"
    main(["init", "--width", "4", "--seed", "7", "-o", str(a)])
    main(["init", "--width", "4", "--seed", "7", "-o", str(b)])
    from safetensors.numpy import load_file

    ta, tb = load_file(str(a)), load_file(str(b))
    assert ta.keys() == tb.keys() and all((ta[k] == tb[k]).all() for k in ta)


def test_export_cli_then_bench(tiny_checkpoint, tmp_path, capsys):
    onnx_path = tmp_path / "m.onnx"
    assert main(["export", str(tiny_checkpoint), "-o", str(onnx_path)]) == 0
    err = capsys.readouterr().err
    assert "parity" in err and "PSNR" in err and onnx_path.exists()
    assert main(["bench", str(onnx_path), "--shape", "32x32", "--runs", "2", "--warmup", "0", "--no-progress",
                 "--json", str(tmp_path / "b.json")]) == 0
    rows = json.loads((tmp_path / "b.json").read_text())["records"]
    assert {(r["model"], r["backend"], r["mode"]) for r in rows} == {(str(onnx_path), "ort-cpu", "model"),
                                                                      (str(onnx_path), "ort-cpu", "compute")}
    assert all(r["stats"]["median_ms"] > 0 for r in rows)


def test_bad_arguments_exit_nonzero(tiny_onnx, capsys):
    assert main(["bench", str(tiny_onnx), "--runs", "0", "--shape", "16x16"]) == 2
    assert "--runs" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        main(["bench", str(tiny_onnx), "--shape", "bogus"])
    assert info.value.code == 2


def test_demo_runs_end_to_end_on_a_tiny_shape(tiny_checkpoint, tmp_path, capsys):
    import json

    from lowlight_edge.machine.cpu import int8_dot_product

    res = tmp_path / "res"
    code = main(["demo", "--model", str(tiny_checkpoint), "--workdir", str(tmp_path / "work"), "--results", str(res),
                 "--shape", "32x32", "--shape", "64x96", "--raw-size", "64x96", "--runs", "1", "--threads", "1",
                 "--calib-count", "2", "--calib-shape", "32x32", "--max-tile", "32", "--int8-budget", "0",
                 "--tune-frames", "3"])
    assert code == 0
    doc = json.loads((res / "demo.json").read_text())
    rows = doc["records"]
    ran = {(r["backend"], r["precision"]) for r in rows if r["skipped"] is None}
    assert ran >= {("torch-cpu", "fp32"), ("ort-cpu", "fp32"), ("ort-cpu", "int8")}
    skipped = [r for r in rows if r["skipped"]]
    assert {r["backend"] for r in skipped} >= {"ort-cpu", "ort-cuda", "tensorrt"}  # fp16 on CPU, no CUDA, no TensorRT
    assert all(r["skipped"] for r in skipped)
    assert any(r["mode"] == "end-to-end" and r["stages"] for r in rows)
    pipelines = [r for r in rows if ".pipeline." in Path(r["model"]).name and r["skipped"] is None]
    assert pipelines and all(r["mode"] == "end-to-end" and "pipeline" in r["stages"] for r in pipelines)
    assert any(r["max_tile"] == 32 and r["memory"]["peak_rss_mib"] > 0 for r in rows)
    # every row of the variant table is made, validated and benched (or a skipped row says why)
    from lowlight_edge.engines.backends import default_backend
    from lowlight_edge.engines.variants import FAST, VARIANTS

    graphs = {Path(d["model"]).name.split(".", 1)[1] for d in doc["drift"]}
    assert graphs == {f"{v.name}.onnx" for v in VARIANTS if v.graph_of is None}
    for row in VARIANTS:
        timed = {b for b, how in row.runs.items() if how == FAST}
        benched = [r for r in rows if Path(r["model"]).name.endswith(f".{row.graph}.onnx") and r["backend"] in timed]
        assert benched and all(r["skipped"] or r["precision"] == row.precision for r in benched), row.name
        ran_here = [r for r in benched if r["skipped"] is None and r["backend"] != default_backend("onnx").name]
        validated = {(Path(d["model"]).name, d["backend"]) for d in doc["drift"]}
        assert all((Path(r["model"]).name, r["backend"]) in validated for r in ran_here if row.name != "fp32"), row.name
    from lowlight_edge.machine.cpu import bf16_native

    bf16_rows = [r for r in rows if r["backend"] == "ov-cpu-bf16"]
    assert bf16_rows and (bf16_native() is not None) == all(r["skipped"] for r in bf16_rows)
    assert doc["overhead"]["bare_median_ms"] > 0 and doc["verdict"]
    assert len(doc["enhance"]["frames"]) == 2 and doc["enhance"]["max_backend_diff"] < 1e-3
    report = (res / "report.md").read_text()
    for section in ("## Verdict", "## Latency matrix", "## Accuracy after quantization", "![latency](latency.png)",
                    "skipped: ", "## Image grids"):
        assert section in report
    assert (res / "latency.png").is_file() and (res / "stages.png").is_file() and (res / "bench.csv").is_file()
    # the demo is tune on the model plus the report: tune's choice at the largest shape, timed from the matrix
    tune = json.loads((res / "tune.json").read_text())
    assert tune == {**doc["tune"], "environment": tune["environment"]} and tune["shape"] == [64, 96]
    chosen = tune["choice"]
    assert chosen["lpips_drift_bound"] <= tune["budget"] == 0.01 and chosen["verdict"] == "chosen"
    fastest_within = min((r for r in tune["rows"] if r["median_ms"] is not None and not r["skipped"]
                          and r["lpips_drift_bound"] <= tune["budget"]), key=lambda r: r["median_ms"])
    assert fastest_within == chosen
    matrix = {(Path(r["model"]).name, r["backend"]): r["stats"]["median_ms"] for r in rows
              if r["mode"] == "model" and r["shape"][2:] == [64, 96] and r["skipped"] is None and not r["max_tile"]}
    assert chosen["median_ms"] == matrix[(Path(chosen["model"]).name, chosen["backend"])]  # not timed twice
    tiled = [r for r in rows if r["max_tile"] and r["skipped"] is None]  # the demo's tiled row is not a tune time
    assert tiled and all(t["median_ms"] == matrix[(Path(t["model"]).name, t["backend"])] for t in tune["rows"]
                         if t["median_ms"] is not None)
    assert "## Tune: the variant to deploy on this machine" in report and f"tune: Chosen: **{chosen['variant']}" in \
        report
    # OpenVINO is a core dependency: the INT8 graphs are timed and validated under it too, the tensorrt-target one
    # only where the CPU has INT8 dot products (elsewhere a skipped row says why)
    assert {("ov-cpu", "fp32"), ("ov-cpu", "int8")} <= ran
    under_openvino = sorted(Path(d["model"]).name.split(".")[1] for d in doc["drift"] if d["backend"] == "ov-cpu")
    if int8_dot_product():
        assert under_openvino == ["int8-cpu", "int8-tensorrt", "int8-tensorrt-w7"]
    else:
        assert under_openvino == ["int8-cpu", "int8-tensorrt-w7"]  # the 7-bit weights form is what runs here
        assert any(r["backend"] == "ov-cpu" and "VNNI" in (r["skipped"] or "") for r in rows)
    candidates = len(doc["drift"]) - 1
    assert len(list((res / "grids").glob("*.png"))) == 2 * candidates  # two frames x each candidate
    err = capsys.readouterr().err
    assert "TensorRT engines skipped" in err
    last = err.strip().splitlines()[-5:]  # two shapes, drift, quality, where the report is
    assert "target" in last[0] and "target" in last[1] and "drift budgets" in last[2]
    assert last[-1] == f"report: {res / 'report.md'}"
    assert main(["report", str(res / "demo.json"), "-o", str(tmp_path / "merged.md")]) == 0  # demo.json merges

def test_generated_files_go_to_the_work_folder_by_default(tiny_checkpoint, tmp_path, monkeypatch):
    monkeypatch.setenv("LOWLIGHT_EDGE_WORK", str(tmp_path / "w"))
    assert main(["export", str(tiny_checkpoint)]) == 0
    fp32 = tmp_path / "w" / "export" / "model.fp32.onnx"
    assert fp32.is_file()
    assert main(["quantize", "fp16", str(fp32), "--calib", "synthetic:1", "--calib-shape", "32x32"]) == 0
    assert (tmp_path / "w" / "export" / "model.fp16.onnx").is_file()


def test_an_unexpected_exception_is_one_line_with_its_own_exit_code(monkeypatch, tmp_path, capsys):
    from lowlight_edge.commands import inspect

    def broken(args):
        raise KeyError("a bug's own words\nspanning lines")

    monkeypatch.setattr(inspect, "run", broken)
    code = main(["inspect", str(tmp_path / "x.dng")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 3 and len(err) == 1 and "Traceback" not in err[0]
    assert err[0].startswith("lowlight-edge: error: internal error (KeyError:") and "--debug" in err[0]
    with pytest.raises(KeyError):
        main(["--debug", "inspect", str(tmp_path / "x.dng")])


def test_a_demo_that_misses_a_drift_budget_exits_non_zero_and_names_it(monkeypatch, capsys):
    from lowlight_edge.demo import job

    outcome = job.DemoOutcome({}, ["drift budgets: 1 FAILED"], ["m.int8.onnx (ort-cpu) 0.0123 > 0.01"])
    monkeypatch.setattr(job, "run_demo", lambda *_a, **_k: outcome)
    assert main(["demo"]) == 1
    assert capsys.readouterr().err.strip().splitlines()[-1] == (
        "lowlight-edge: error: drift budget missed on the validation frames: m.int8.onnx (ort-cpu) 0.0123 > 0.01")
    outcome.missed_budgets.clear()
    assert main(["demo"]) == 0
