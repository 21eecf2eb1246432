"""Bad input at every entry point: one clear line, a non-zero exit, no traceback, no partial output.

Each row of CASES is one line of the README's bad-input table (same ids). A case builds its files, runs the
CLI in-process and checks the last stderr line, the exit code, and that none of the outputs it names exists
(nor any temporary `.partial` file beside them).
"""

import errno
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import bad_files
import numpy as np
import pytest

from lowlight_edge.cli import main


@dataclass
class Ctx:
    tmp: Path
    checkpoint: Path
    onnx: Path

    def out(self, name: str) -> Path:
        return self.tmp / "out" / name


@dataclass
class Case:
    id: str
    argv: Callable[[Ctx], list]
    message: str  # a regex the error line must contain
    outputs: Callable[[Ctx], list] = lambda ctx: [ctx.out("result")]


def _raw_cases(kind: str, make, message: str) -> list[Case]:
    """The same bad RAW file at every command that reads RAW files."""
    def folder(ctx):
        f = ctx.tmp / f"raw-{kind}"
        f.mkdir(exist_ok=True)
        make(ctx, f)
        return f

    def one(ctx):
        return next(p for p in folder(ctx).iterdir())

    return [
        Case(f"{kind}-enhance", lambda c: ["enhance", one(c), "-o", c.out("png"), "--model", c.onnx], message,
             lambda c: [c.out("png")]),
        Case(f"{kind}-inspect", lambda c: ["inspect", one(c)], message, lambda c: []),
        Case(f"{kind}-bench-raw", lambda c: ["bench", c.onnx, "--raw", one(c), "--shape", "16x16", "--runs", "1",
                                             "--no-progress", "--json", c.out("b.json")], message,
             lambda c: [c.out("b.json")]),
        Case(f"{kind}-quantize-calib", lambda c: ["quantize", "int8", c.onnx, "-o", c.out("m.onnx"), "--calib",
                                                  folder(c), "--calib-shape", "32x32"], message,
             lambda c: [c.out("m.onnx")]),
        Case(f"{kind}-validate-data", lambda c: ["validate", "--reference", c.onnx, "--candidate", c.onnx, "--data",
                                                 folder(c), "--json", c.out("v.json")], message,
             lambda c: [c.out("v.json")]),
    ]


def _dng(ctx, folder):
    return bad_files.dng(folder)


CASES = [
    *_raw_cases("zero-byte-raw", lambda c, f: bad_files.zero_byte(f, "10001_00_0.1s.ARW"), "empty"),
    *_raw_cases("truncated-dng", lambda c, f: bad_files.truncated(bad_files.dng(c.tmp), f / "90001_00_0.1s.dng"),
                "truncated or corrupt|not a RAW file"),
    *_raw_cases("jpeg-as-raw", lambda c, f: bad_files.png_as_raw(f) and (f / "photo.png").unlink(), "not a RAW file"),
    *_raw_cases("absurd-dimensions", lambda c, f: bad_files.absurd_dimensions(f), "not a RAW file|more than the .* allowed"),
    *_raw_cases("x-trans", lambda c, f: bad_files.xtrans_dng(f), "6x6 pixels .X-Trans"),
    # ONNX models
    *[Case(f"{kind}-onnx-{cmd}", argv, message, outs)
      for kind, make, message in [
          ("truncated", lambda c: bad_files.truncated(c.onnx, c.tmp / "cut.onnx"), "not a valid ONNX model"),
          ("zero-byte", lambda c: bad_files.zero_byte(c.tmp, "empty.onnx"), "is empty"),
          ("rgb-input", lambda c: bad_files.onnx_with_rgb_input(c.tmp), r"expected packed Bayer \[N, 4, h, w\]"),
      ]
      for cmd, argv, outs in [
          ("bench", lambda c, m=make: ["bench", m(c), "--shape", "16x16", "--no-progress", "--json", c.out("b.json")],
           lambda c: [c.out("b.json")]),
          ("enhance", lambda c, m=make: ["enhance", bad_files.dng(c.tmp), "-o", c.out("png"), "--model", m(c)],
           lambda c: [c.out("png")]),
          ("validate", lambda c, m=make: ["validate", "--reference", c.onnx, "--candidate", m(c), "--synthetic", "1",
                                          "--json", c.out("v.json")], lambda c: [c.out("v.json")]),
          ("quantize-fp16", lambda c, m=make: ["quantize", "fp16", m(c), "-o", c.out("m.onnx"), "--calib",
                                               "synthetic:1", "--calib-shape", "32x32"], lambda c: [c.out("m.onnx")]),
          ("check", lambda c, m=make: ["check", m(c)], lambda c: []),
          ("build", lambda c, m=make: ["build", m(c), "-o", c.out("m.engine")], lambda c: [c.out("m.engine")]),
      ] if not (kind == "rgb-input" and cmd in ("check", "build"))],
    Case("rgb-input-onnx-quantize-int8", lambda c: ["quantize", "int8", bad_files.onnx_with_rgb_input(c.tmp), "-o",
                                                    c.out("m.onnx"), "--calib", "synthetic:1", "--calib-shape", "32x32"],
         r"\[N, 4, h, w\]|4 channels|packed Bayer", lambda c: [c.out("m.onnx")]),
    # checkpoints
    *[Case(f"malicious-pickle-{cmd}", argv, "refused", lambda c: [c.out("m.onnx"), c.tmp / "pwned"])
      for cmd, argv in [
          ("export", lambda c: ["export", bad_files.malicious_checkpoint(c.tmp, c.tmp / "pwned"), "-o", c.out("m.onnx")]),
          ("bench", lambda c: ["bench", bad_files.malicious_checkpoint(c.tmp, c.tmp / "pwned"), "--shape", "16x16",
                               "--no-progress"]),
          ("enhance", lambda c: ["enhance", bad_files.dng(c.tmp), "-o", c.out("m.onnx"), "--model",
                                 bad_files.malicious_checkpoint(c.tmp, c.tmp / "pwned")]),
      ]],
    Case("mismatched-keys-export", lambda c: ["export", bad_files.mismatched_checkpoint(c.tmp), "-o", c.out("m.onnx")],
         "missing tensor|unexpected tensor|does not match", lambda c: [c.out("m.onnx")]),
    # engines
    *[Case(f"zero-byte-engine-{cmd}", argv, "engine file missing or empty", outs)
      for cmd, argv, outs in [
          ("bench", lambda c: ["bench", bad_files.zero_byte(c.tmp, "m.engine"), "--shape", "16x16", "--no-progress"],
           lambda c: []),
          ("enhance", lambda c: ["enhance", bad_files.dng(c.tmp), "-o", c.out("png"), "--model",
                                 bad_files.zero_byte(c.tmp, "m.engine")], lambda c: [c.out("png")]),
      ]],
    Case("tampered-engine-metadata", lambda c: ["bench", _engine_with_metadata(c, '{"schema": "other"}'), "--shape",
                                                "16x16", "--no-progress"], "unreadable or tampered", lambda c: []),
    # calibration
    Case("empty-calibration-folder", lambda c: ["quantize", "int8", c.onnx, "-o", c.out("m.onnx"), "--calib",
                                                _mkdir(c.tmp / "empty")], "no RAW files|no .*frames|empty",
         lambda c: [c.out("m.onnx")]),
    Case("nan-calibration-frames", lambda c: ["quantize", "int8", c.onnx, "-o", c.out("m.onnx"), "--calib",
                                              bad_files.nan_frames(c.tmp / "npy")], "NaN|non-finite",
         lambda c: [c.out("m.onnx")]),
    Case("corrupt-calibration-cache", lambda c: ["quantize", "int8", c.onnx, "-o", c.out("m.onnx"), "--calib",
                                                 "synthetic:1", "--calib-shape", "32x32", "--calib-cache",
                                                 _write(c.tmp / "cache.json", '{"CLS": "TensorsData"}')],
         "calibration cache .* is corrupt", lambda c: [c.out("m.onnx")]),
    # SID lists
    Case("sid-list-escaping-root-validate", lambda c: ["validate", "--reference", c.onnx, "--candidate", c.onnx,
                                                       "--sid", bad_files.sid_list_escaping(c.tmp)],
         "leaves the dataset root", lambda c: []),
    Case("sid-list-escaping-root-train", lambda c: ["train", "-o", c.out("m.safetensors"), "--sid",
                                                    bad_files.sid_list_escaping(c.tmp), "--steps", "1"],
         "leaves the dataset root", lambda c: [c.out("m.safetensors")]),
    # outputs
    *[Case(f"unwritable-output-{cmd}", argv, "cannot create folder|not writable|cannot write", lambda c: [])
      for cmd, argv in [
          ("export", lambda c: ["export", c.checkpoint, "-o", _file(c) / "m.onnx"]),
          ("quantize", lambda c: ["quantize", "fp16", c.onnx, "-o", _file(c) / "m.onnx", "--calib", "synthetic:1"]),
          ("enhance", lambda c: ["enhance", bad_files.dng(c.tmp), "-o", _file(c) / "png", "--model", c.onnx]),
          ("bench", lambda c: ["bench", c.onnx, "--shape", "16x16", "--json", _file(c) / "b.json", "--no-progress"]),
          ("validate", lambda c: ["validate", "--reference", c.onnx, "--candidate", c.onnx, "--synthetic", "1",
                                  "--json", _file(c) / "v.json"]),
          ("report", lambda c: ["report", _bench_json(c), "-o", _file(c) / "r.md"]),
          ("train", lambda c: ["train", "-o", _file(c) / "m.safetensors", "--steps", "1"]),
      ]],
    # other inputs
    Case("report-not-a-result", lambda c: ["report", _write(c.tmp / "x.json", "[1, 2]"), "-o", c.out("r.md")],
         "not a lowlight-edge benchmark result", lambda c: [c.out("r.md")]),
    Case("metrics-zero-byte-png", lambda c: ["metrics", bad_files.zero_byte(c.tmp, "a.png"),
                                             bad_files.zero_byte(c.tmp, "b.png")], "PNG|empty|image", lambda c: []),
]


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def _file(ctx: Ctx) -> Path:
    """A path whose 'folder' is a regular file: no output can ever be written under it (even as root)."""
    return _write(ctx.tmp / "a-file", "x")


def _engine_with_metadata(ctx: Ctx, text: str) -> Path:
    engine = ctx.tmp / "m.engine"
    engine.write_bytes(b"plan")
    _write(ctx.tmp / "m.engine.json", text)
    return engine


def _bench_json(ctx: Ctx) -> Path:
    import json

    from lowlight_edge.bench.records import skipped_record, to_document

    doc = to_document([skipped_record("m.onnx", "ort-cuda", "fp32", (1, 4, 16, 16), "model", "no GPU")], {"host": "h"})
    return _write(ctx.tmp / "bench.json", json.dumps(doc))


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(case, tiny_checkpoint, tiny_onnx, tmp_path, capsys):
    ctx = Ctx(tmp_path, tiny_checkpoint, tiny_onnx)
    argv = [str(a) for a in case.argv(ctx)]
    capsys.readouterr()
    code = main(argv)
    err = capsys.readouterr().err
    assert code != 0, f"{case.id}: exit code 0\n{err}"
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if line.startswith("lowlight-edge: error: ")]
    assert len(errors) == 1, f"{case.id}: expected one error line\n{err}"
    assert re.search(case.message, errors[0]), f"{case.id}: {errors[0]!r} lacks /{case.message}/"
    for output in case.outputs(ctx):
        assert not Path(output).exists() or (Path(output).is_dir() and not any(Path(output).iterdir())), output
    assert not list(tmp_path.rglob("*.partial")), "a temporary file was left behind"


def test_full_disk_leaves_nothing(tiny_checkpoint, tmp_path, capsys, monkeypatch):
    """ENOSPC while the output is being finished: one line naming the disk, no file, no temporary file."""
    import lowlight_edge.fileio.atomic as atomic

    def full(path):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic, "_fsync_file", full)
    out = tmp_path / "m.onnx"
    assert main(["export", str(tiny_checkpoint), "-o", str(out)]) == 2
    assert "disk full" in capsys.readouterr().err.strip().splitlines()[-1]
    assert not out.exists() and not list(tmp_path.glob("*.partial"))


def test_non_finite_model_output_is_one_line(tmp_path, capsys):
    """A model that produces NaN: enhance names the problem and writes no image."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    x = helper.make_tensor_value_info("packed", TensorProto.FLOAT, ["n", 4, "h", "w"])
    y = helper.make_tensor_value_info("rgb", TensorProto.FLOAT, None)
    nodes = [helper.make_node("Slice", ["packed", "s", "e", "a"], ["three"]),
             helper.make_node("Div", ["three", "zero"], ["inf"]),
             helper.make_node("Sub", ["inf", "inf"], ["nan"]),
             helper.make_node("DepthToSpace", ["nan12"], ["rgb"], blocksize=2, mode="CRD"),
             helper.make_node("Concat", ["nan", "nan", "nan", "nan"], ["nan12"], axis=1)]
    inits = [numpy_helper.from_array(np.array(v, np.int64), n) for n, v in (("s", [0]), ("e", [3]), ("a", [1]))]
    inits.append(numpy_helper.from_array(np.zeros(1, np.float32), "zero"))
    graph = helper.make_graph([nodes[0], nodes[1], nodes[2], nodes[4], nodes[3]], "nan", [x], [y], inits)
    model = tmp_path / "nan.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(model))
    frame = bad_files.dng(tmp_path)
    assert main(["enhance", str(frame), "-o", str(tmp_path / "png"), "--model", str(model)]) == 2
    assert "non-finite" in capsys.readouterr().err
    assert not list((tmp_path / "png").glob("*.png")) if (tmp_path / "png").exists() else True


def test_a_disk_that_fills_during_the_write_leaves_nothing(tiny_checkpoint, tmp_path, capsys, monkeypatch):
    """ENOSPC in the middle of writing (the usual case, not at fsync): half a file on disk, then the error."""
    import onnx

    real_save = onnx.save

    def half_then_full(proto, path, *args, **kwargs):
        real_save(proto, path, *args, **kwargs)
        with open(path, "r+b") as fh:  # what a filling disk leaves: a truncated file
            fh.truncate(fh.seek(0, 2) // 2)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(onnx, "save", half_then_full)
    out = tmp_path / "out" / "m.onnx"
    assert main(["export", str(tiny_checkpoint), "-o", str(out)]) == 2
    assert "disk full" in capsys.readouterr().err.strip().splitlines()[-1]
    assert not out.exists() and not list(tmp_path.rglob("*.partial"))


def test_hostile_file_names_reach_the_terminal_escaped_and_short(tmp_path, capsys):
    """A name with an escape sequence and a newline, and a message a megabyte long, stay one safe line each."""
    folder = tmp_path / "in"
    folder.mkdir()
    hostile = folder / ("red\x1b[31m\nline_00_0.1s.dng")
    hostile.write_bytes(b"II*\x00" + b"\xff" * 64)
    assert main(["enhance", str(folder), "-o", str(tmp_path / "out"), "--ratio", "100", "--backend", "ort-cpu",
                 "--model", str(tmp_path / "missing.onnx")]) == 2  # refused: no model; the name is not printed yet
    assert main(["inspect", str(hostile)]) == 2
    err = capsys.readouterr().err
    assert "\x1b" not in err and "red\\x1b[31m\\nline" in err
    assert all(line.startswith("lowlight-edge: error:") for line in err.strip().splitlines())
    huge = tmp_path / ("n" * 200)
    assert main(["inspect", str(huge) + "/" + "x" * 1_000_000]) == 2
    line = capsys.readouterr().err.strip()
    assert "\n" not in line and len(line) <= 2000 and "characters cut" in line
