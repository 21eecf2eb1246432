import numpy as np
import onnx
import pytest
import torch

from lowlight_edge.engines.ort_runner import OrtRunner
from lowlight_edge.errors import ExportError, OutputError
from lowlight_edge.export.onnx_export import export_onnx
from lowlight_edge.fileio.hashing import sha256_file
from lowlight_edge.model.checkpoint import load_generator
from lowlight_edge.onnxgraph.metadata import read_metadata


def test_export_is_checker_clean_with_metadata(tiny_onnx, tiny_checkpoint):
    model = onnx.load(str(tiny_onnx))
    onnx.checker.check_model(model, full_check=True)
    assert max(o.version for o in model.opset_import if o.domain in ("", "ai.onnx")) >= 17
    meta = read_metadata(model)
    assert meta["lowlight_edge.checkpoint_sha256"] == sha256_file(tiny_checkpoint)
    assert '"width": 4' in meta["lowlight_edge.config"]
    assert "R, G1, B, G2" in meta["lowlight_edge.input_layout"]
    assert "ratio" in meta["lowlight_edge.normalization"]
    assert "torch" in meta["lowlight_edge.versions"]
    assert any(n.op_type == "DepthToSpace" for n in model.graph.node)


def test_input_and_output_dims_are_dynamic(tiny_onnx):
    graph = onnx.load(str(tiny_onnx)).graph
    dims = [d.dim_param or d.dim_value for d in graph.input[0].type.tensor_type.shape.dim]
    assert dims[1] == 4
    assert all(isinstance(d, str) for d in (dims[0], dims[2], dims[3]))


@pytest.mark.parametrize("shape", [(1, 4, 16, 16), (3, 4, 32, 80), (1, 4, 112, 48)])
def test_onnx_matches_pytorch_on_shapes_not_seen_at_export(tiny_onnx, tiny_checkpoint, shape):
    x = np.random.default_rng(5).random(shape, dtype=np.float32)
    with torch.no_grad():
        ref = load_generator(tiny_checkpoint).model(torch.from_numpy(x)).numpy()
    with OrtRunner(tiny_onnx) as runner:
        out = runner.infer(x)
    assert out.shape == (shape[0], 3, 2 * shape[2], 2 * shape[3])
    assert np.abs(out - ref).max() < 1e-4


def test_failed_parity_leaves_no_file(tiny_checkpoint, tmp_path):
    target = tmp_path / "m.onnx"
    with pytest.raises(ExportError, match="parity gate failed"):
        export_onnx(tiny_checkpoint, target, tolerance=-1.0)  # an impossible gate
    assert list(tmp_path.iterdir()) == []  # neither the target nor a temporary file


def test_export_refuses_overwrite_without_force(tiny_checkpoint, tmp_path):
    target = tmp_path / "m.onnx"
    target.write_bytes(b"keep me")
    with pytest.raises(OutputError, match="--force"):
        export_onnx(tiny_checkpoint, target)
    assert target.read_bytes() == b"keep me"


def test_opset_below_17_is_refused(tiny_checkpoint, tmp_path):
    with pytest.raises(ExportError, match="opset"):
        export_onnx(tiny_checkpoint, tmp_path / "m.onnx", opset=13)


def test_unsimplified_export_also_passes_parity(tiny_checkpoint, tmp_path):
    logs = []
    report = export_onnx(tiny_checkpoint, tmp_path / "m.onnx", simplify=False, log=logs.append)
    assert not report.simplified
    assert len(report.parity) == 2 and {r.shape for r in report.parity} == {(1, 4, 64, 64), (2, 4, 48, 80)}
    assert all(r.max_abs_diff < 1e-4 and r.psnr_db > 80 for r in report.parity)
    assert any("parity" in line for line in logs)
