import numpy as np
import pytest

from lowlight_edge.engines.backends import model_kind
from lowlight_edge.engines.select import open_runner
from lowlight_edge.errors import InputError, ModelError


def test_runner_is_chosen_from_file_type(tiny_checkpoint, tiny_onnx):
    assert model_kind(tiny_checkpoint) == "checkpoint"
    assert model_kind(tiny_onnx) == "onnx"
    with open_runner(tiny_checkpoint) as r:
        assert r.backend == "torch-cpu"
    with open_runner(tiny_onnx) as r:
        assert r.backend == "ort-cpu"
        assert r.inputs[0].shape[1] == 4 and r.outputs[0].shape[1] == 3


def test_torch_and_ort_agree_on_the_same_input(tiny_checkpoint, tiny_onnx):
    x = np.random.default_rng(0).random((2, 4, 32, 48), dtype=np.float32)
    with open_runner(tiny_checkpoint, threads=1) as t, open_runner(tiny_onnx, threads=1) as o:
        a, b = t.infer(x), o.infer(x)
        assert t.source_sha256 == o.source_sha256  # the ONNX knows which checkpoint it came from
    assert a.shape == b.shape == (2, 3, 64, 96)
    assert np.abs(a - b).max() < 1e-4


@pytest.mark.parametrize(
    "array,message",
    [
        (np.zeros((1, 3, 32, 32), np.float32), r"\[N, 4, h, w\]"),
        (np.zeros((4, 32, 32), np.float32), r"\[N, 4, h, w\]"),
        (np.zeros((1, 4, 30, 32), np.float32), "multiples of 16"),
        (np.zeros((1, 4, 32, 32), np.float64), "float32"),
    ],
)
def test_bad_input_shapes_are_refused_by_every_runner(tiny_checkpoint, tiny_onnx, array, message):
    for path in (tiny_checkpoint, tiny_onnx):
        with open_runner(path) as runner, pytest.raises(InputError, match=message):
            runner.infer(array)


def test_truncated_onnx_is_refused(tiny_onnx, tmp_path):
    broken = tmp_path / "broken.onnx"
    data = tiny_onnx.read_bytes()
    broken.write_bytes(data[: len(data) // 3])
    with pytest.raises(ModelError, match="not a valid ONNX model"):
        open_runner(broken).activate()
    empty = tmp_path / "empty.onnx"
    empty.write_bytes(b"")
    with pytest.raises(ModelError, match="empty"):
        open_runner(empty).activate()


def test_onnx_with_wrong_input_layout_is_refused(tmp_path):
    import onnx
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, "h", "w"])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3, "h", "w"])
    graph = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "g", [x], [y])
    path = tmp_path / "rgb.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    with pytest.raises(ModelError, match=r"expected packed Bayer \[N, 4, h, w\]"):
        open_runner(path).activate()


def test_unknown_types_and_backends(tiny_onnx, tmp_path):
    with pytest.raises(InputError, match="cannot tell the model type"):
        open_runner(tmp_path / "model.tflite")
    with pytest.raises(InputError, match="runs checkpoint files"):
        open_runner(tiny_onnx, backend="torch-cpu")
    with pytest.raises(InputError, match="unknown backend"):
        open_runner(tiny_onnx, backend="ort-npu")


def test_missing_gpu_provider_is_one_clear_error(tiny_onnx):
    import onnxruntime as ort

    if "CUDAExecutionProvider" in ort.get_available_providers():
        pytest.skip("this machine has the CUDA provider")
    with pytest.raises(InputError, match="no CUDAExecutionProvider"):
        open_runner(tiny_onnx, backend="ort-cuda").activate()


def test_an_fp16_model_with_external_weights_runs_on_the_cpu(tiny_onnx, tmp_path):
    import onnx

    from lowlight_edge.quantize.fp16 import fp16_from_onnx

    x = np.random.default_rng(0).random((1, 4, 32, 32), dtype=np.float32)
    inline = fp16_from_onnx(tiny_onnx, tmp_path / "inline.fp16.onnx", [x]).output
    external = tmp_path / "ext" / "m.fp16.onnx"
    external.parent.mkdir()
    onnx.save(onnx.load(str(inline)), str(external), save_as_external_data=True, location="m.data", size_threshold=0)
    with open_runner(inline) as a, open_runner(external) as b:
        np.testing.assert_array_equal(a.infer(x), b.infer(x))
    model = onnx.load(str(external), load_external_data=False)  # now point one weight outside the model's folder
    tensor = next(t for t in model.graph.initializer if t.external_data)
    next(e for e in tensor.external_data if e.key == "location").value = "../../etc/passwd"
    onnx.save(model, str(external))
    with pytest.raises(ModelError, match="is at '../../etc/passwd', outside the model's folder; refused"):
        open_runner(external).activate()
