"""`report` reads untrusted result files: every field of a real result, broken in every way JSON allows, is
either rendered or refused in one line (exit 2), never an internal error (exit 3) or a traceback."""

import copy
import json
from pathlib import Path

import pytest

from lowlight_edge.cli import main

REAL = Path(__file__).resolve().parents[1] / "benchmarks/results/2026-11-27-cpu2core-demo/demo.json"
BAD_VALUES = (None, "x", [], {"q": 1}, -1, 1e308, [{"a": None}], True)


def _mutations():
    doc = json.loads(REAL.read_text())
    yield "records[0] missing", {**doc, "records": [{"model": "m.onnx"}] + doc["records"][1:]}
    for bad in BAD_VALUES:
        yield f"environment={bad!r}", {**doc, "environment": bad}
        yield f"records[0]={bad!r}", {**doc, "records": [bad] + doc["records"][1:]}
        for index in (0, len(doc["records"]) - 1):  # a timed row and the last (an end-to-end or skipped) one
            for field in doc["records"][index]:
                broken = copy.deepcopy(doc)
                broken["records"][index][field] = bad
                yield f"records[{index}].{field}={bad!r}", broken


def test_every_broken_field_is_rendered_or_refused_in_one_line(tmp_path, capsys):
    outcomes = {0: 0, 2: 0}
    for name, doc in _mutations():
        path = tmp_path / "result.json"
        path.write_text(json.dumps(doc))
        code = main(["report", str(path), "-o", str(tmp_path / "report.md"), "--force"])
        err = capsys.readouterr().err.strip().splitlines()
        assert code in outcomes, (name, err)
        outcomes[code] += 1
        if code == 2:
            assert len(err) == 1 and any(w in err[0] for w in ("record", "environment", "benchmark")), (name, err)
    assert outcomes[2] > 100 and outcomes[0] > 10, outcomes  # both paths were taken


def test_the_real_result_renders(tmp_path):
    assert main(["report", str(REAL), "-o", str(tmp_path / "report.md")]) == 0
    assert "Latency across devices" in (tmp_path / "report.md").read_text()


@pytest.mark.parametrize("field, value, message", [
    ("shape", "1x4x16x16", "'shape' must be [N, 4, h, w]"),
    ("stats", {"median_ms": "fast"}, "'stats' must be an object of numbers"),
    ("mode", "sideways", "'mode' must be one of"),
])
def test_a_broken_field_is_named(tmp_path, capsys, field, value, message):
    doc = json.loads(REAL.read_text())
    doc["records"][0][field] = value
    path = tmp_path / "result.json"
    path.write_text(json.dumps(doc))
    assert main(["report", str(path)]) == 2
    assert message in capsys.readouterr().err
