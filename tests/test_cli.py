import subprocess
import sys

import pytest

from lowlight_edge.cli import build_parser, main

COMMANDS = ["init", "export", "quantize", "check", "build", "bench", "enhance", "inspect", "synth", "train", "weights",
            "metrics", "validate", "report", "demo"]


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


def test_bad_arguments_exit_nonzero(tiny_onnx, capsys):
    assert main(["bench", str(tiny_onnx), "--runs", "0", "--shape", "16x16"]) == 2
    assert "--runs" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        main(["bench", str(tiny_onnx), "--shape", "bogus"])
    assert info.value.code == 2


def test_demo_runs_end_to_end_on_a_tiny_shape(tiny_checkpoint, tmp_path, capsys):
    import json

    code = main(["demo", "--model", str(tiny_checkpoint), "--workdir", str(tmp_path / "work"),
                 "--results", str(tmp_path / "res"), "--shape", "32x32", "--runs", "1", "--threads", "1"])
    assert code == 0
    doc = json.loads((tmp_path / "res" / "demo.json").read_text())
    assert {r["backend"] for r in doc["records"]} == {"torch-cpu", "ort-cpu"}
    assert len(doc["enhance"]["frames"]) == 2 and doc["enhance"]["max_backend_diff"] < 1e-3
    assert len(list((tmp_path / "work" / "enhanced").glob("*.png"))) == 2
    err = capsys.readouterr().err
    assert "target" in err.splitlines()[-1] and "naive pipeline" in err
