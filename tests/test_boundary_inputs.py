"""Inputs checked at their boundary (issue #19 item 7): each would otherwise fail deep inside a library."""

import numpy as np
import pytest

from lowlight_edge.errors import InputError


def test_a_nul_byte_in_a_sid_list_is_one_line(tmp_path):
    from lowlight_edge.raw.sid import parse_sid_list

    good = "./Sony/short/10003_00_0.04s.ARW ./Sony/long/10003_00_10s.ARW ISO200 F9\n"
    (tmp_path / "good.txt").write_text(good)
    (tmp_path / "bad.txt").write_text(good.replace(".ARW ", ".ARW\x00 ", 1))
    assert len(parse_sid_list(tmp_path / "good.txt")) == 1  # the same line without the NUL is read
    with pytest.raises(InputError, match="bad.txt:1: the line holds a NUL byte"):
        parse_sid_list(tmp_path / "bad.txt")


@pytest.mark.parametrize("array, accepted", [
    (np.zeros((4, 8, 8), np.float32), True),
    (np.array(["abc"] * 4), False),
    (np.zeros((4, 8, 8), dtype=[("a", "f4"), ("b", "i4")]), False),
    (np.zeros((4, 8, 8), complex), False),
])
def test_npy_calibration_frames_must_hold_numbers(tmp_path, array, accepted):
    from lowlight_edge.raw.calibration_frames import iter_packed

    np.save(tmp_path / "a.npy", array)
    if accepted:
        assert [name for name, _ in iter_packed(str(tmp_path))] == ["a.npy"]
    else:
        with pytest.raises(InputError, match="packed frames are numbers"):
            list(iter_packed(str(tmp_path)))


def test_lpips_refuses_images_its_network_cannot_see(lpips_weights):
    from lowlight_edge.metrics.lpips_backend import TorchLpips

    metric = TorchLpips(lpips_weights)
    small, ok = np.zeros((30, 40, 3), np.float32), np.zeros((31, 31, 3), np.float32)
    assert metric(ok, ok)[0] == pytest.approx(0.0, abs=1e-6)
    with pytest.raises(InputError, match="at least 31x31 pixels.*got 40x30"):
        metric(small, small)


def test_lpips_weights_of_the_wrong_shape_are_named(tmp_path, lpips_weights):
    from safetensors.numpy import load_file, save_file

    from lowlight_edge.metrics.lpips_weights import load_state

    state = load_file(str(lpips_weights))
    assert load_state(lpips_weights).keys() == state.keys()  # the real file passes
    state["lin0.weight"] = np.zeros((1, 32, 1, 1), np.float32)
    save_file(state, str(tmp_path / "wrong.safetensors"))
    with pytest.raises(InputError, match=r"lin0.weight is float32 \[1, 32, 1, 1\], expected .* \[1, 64, 1, 1\]"):
        load_state(tmp_path / "wrong.safetensors")


@pytest.mark.parametrize("make, message", [
    (lambda torch: {1: torch.zeros(3)}, "state-dict key '1' is a int"),
    (lambda torch: {("a",): torch.zeros(1)}, "is a tuple, not a tensor name"),
    (lambda torch: {"encoders.0.0.weight": torch.zeros(16, 4, 3, 3).to_sparse()}, "is torch.sparse_coo on cpu"),
    (lambda torch: {"encoders.0.0.weight": torch.empty(16, 4, 3, 3, device="meta")}, "is torch.strided on meta"),
])
def test_odd_state_dict_keys_and_tensors_are_one_line(tmp_path, make, message):
    torch = pytest.importorskip("torch")
    from lowlight_edge.errors import CheckpointError
    from lowlight_edge.model.checkpoint import load_generator

    torch.save(make(torch), tmp_path / "odd.pt")
    with pytest.raises(CheckpointError, match=message.replace("(", r"\(")):
        load_generator(tmp_path / "odd.pt")


@pytest.fixture(scope="module")
def external_model(tmp_path_factory, tiny_onnx):
    """The tiny model with its largest weight moved to `w.bin`, and a writer of variants of its data fields."""
    import onnx

    folder = tmp_path_factory.mktemp("external")
    source = onnx.load(str(tiny_onnx))
    weight = max(source.graph.initializer, key=lambda t: len(t.raw_data))
    (folder / "w.bin").write_bytes(weight.raw_data)

    def variant(name: str, **fields):
        model = onnx.ModelProto()
        model.CopyFrom(source)
        tensor = next(t for t in model.graph.initializer if t.name == weight.name)
        size = len(tensor.raw_data)
        tensor.ClearField("raw_data")
        tensor.data_location = onnx.TensorProto.EXTERNAL
        for key, value in {"location": "w.bin", "offset": "0", "length": str(size), **fields}.items():
            entry = tensor.external_data.add()
            entry.key, entry.value = key, value
        path = folder / f"{name}.onnx"
        path.write_bytes(model.SerializeToString())
        return path

    return variant


@pytest.mark.parametrize("fields, message", [
    ({}, None),
    ({"location": "../../../etc/passwd"}, "outside the model's folder; refused"),
    ({"location": "/etc/passwd"}, "outside the model's folder; refused"),
    ({"location": "nope.bin"}, "external data file of nope_bin.onnx not found"),
    ({"location": "."}, "is a folder, not a regular file"),
    ({"length": str(2**40)}, "asks for bytes 0..1,099,511,627,776 of a"),
    ({"offset": "-5"}, "asks for bytes -5.."),
    ({"offset": "abc"}, "not a whole number"),
    ({"location": "w\x00.bin"}, "NUL byte"),
])
@pytest.mark.parametrize("command", ["check", "quantize"])
def test_hostile_external_data_fields_are_one_line_in_check_and_quantize(external_model, tmp_path, capsys, command,
                                                                          fields, message):
    from lowlight_edge.cli import main

    name = "".join(c for c in "_".join(f"{k}-{v}" for k, v in fields.items()) if c.isalnum() or c in "-_") or "ok"
    path = external_model("nope_bin" if fields.get("location") == "nope.bin" else name[:40], **fields)
    argv = ["check", str(path)] if command == "check" else ["quantize", "fp16", str(path), "-o",
                                                           str(tmp_path / "q.onnx"), "--calib", "synthetic:1"]
    code = main(argv)
    err = capsys.readouterr().err.strip().splitlines()
    if message is None:  # the same file with honest fields is read
        assert code == 0, err
    else:
        assert code == 2 and message in err[-1], err
        assert not (tmp_path / "q.onnx").exists()
