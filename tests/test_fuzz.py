"""Fuzzing the readers of untrusted files: RAW/DNG, SID lists, the INT8 calibration cache, engine metadata.

Nothing may escape but the project's own error types. `make test` runs a handful of cases per reader; the
`slow`-marked variants run 1000 each (`pytest -m slow tests/test_fuzz.py`).
"""

import functools
import json
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lowlight_edge.errors import LowlightError

QUICK, THOROUGH = 25, 1000
WORK = Path(tempfile.mkdtemp(prefix="lowlight-fuzz-"))
FUZZ = dict(deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _both(examples_quick=QUICK, examples_slow=THOROUGH):
    """Run a fuzz body quickly in `make test` and at length under the slow marker."""
    return pytest.mark.parametrize("examples", [
        pytest.param(examples_quick, id="quick"),
        pytest.param(examples_slow, id="thorough", marks=pytest.mark.slow),
    ])


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)


def _mutate_json(doc, path: list, value):
    """Replace the value at `path` (indices into nested dicts/lists, taken modulo their size) with `value`."""
    if not path or not isinstance(doc, (dict, list)) or not doc:
        return value
    keys = list(doc) if isinstance(doc, dict) else list(range(len(doc)))
    key = keys[path[0] % len(keys)]
    doc[key] = _mutate_json(doc[key], path[1:], value)
    return doc


# --- RAW / DNG -----------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def _valid_dng() -> bytes:
    from lowlight_edge.raw.dng import write_dng

    bayer = np.random.default_rng(0).integers(512, 16383, (32, 48), dtype=np.uint16)
    path = write_dng(WORK / "seed.dng", bayer, "RGGB", 512, 16383, exposure_s=0.1, iso=3200, force=True)
    return path.read_bytes()


def _raw_mutation():
    size = len(_valid_dng())
    return st.one_of(
        st.tuples(st.just("truncate"), st.integers(1, size - 1)),
        st.tuples(st.just("flip"), st.lists(st.tuples(st.integers(0, size - 1), st.integers(0, 255)), min_size=1,
                                            max_size=16)),
        st.tuples(st.just("header"), st.integers(0, 511), st.binary(min_size=1, max_size=32)),
        st.tuples(st.just("garbage"), st.binary(min_size=1, max_size=2048)),
    )


def _apply(data: bytes, mutation) -> bytes:
    kind = mutation[0]
    if kind == "truncate":
        return data[: mutation[1]]
    if kind == "flip":
        out = bytearray(data)
        for index, value in mutation[1]:
            out[index] = value
        return bytes(out)
    if kind == "header":
        offset, patch = mutation[1], mutation[2]
        return data[:offset] + patch + data[offset + len(patch):]
    return mutation[1]


@_both()
def test_fuzz_raw_reader(examples):
    from lowlight_edge.raw.reader import read_raw

    seen = {"ok": 0, "refused": 0}

    @settings(max_examples=examples, **FUZZ)
    @given(_raw_mutation())
    def case(mutation):
        path = WORK / "case.dng"
        path.write_bytes(_apply(_valid_dng(), mutation))
        try:
            packed = read_raw(path).pack(100.0)
        except LowlightError:
            seen["refused"] += 1
            return
        seen["ok"] += 1
        assert packed.ndim == 3 and packed.shape[0] == 4 and packed.dtype == np.float32

    case()
    assert seen["refused"] > 0  # the mutations do reach the error paths


# --- SID lists -----------------------------------------------------------------------------------------

NAME = st.from_regex(r"(\.\./|/|Sony/short/|Sony/long/)?[0-9]{0,5}_?[0-9]{0,2}_?[0-9.]{0,5}s?(\.ARW|\.dng)?",
                     fullmatch=True)
LINE = st.one_of(st.tuples(NAME, NAME, st.sampled_from(["ISO200", "", "x"]), st.sampled_from(["F8", ""])).map(
    lambda t: " ".join(p for p in t if p)), st.text(max_size=40))


@_both()
def test_fuzz_sid_list_parser(examples):
    from lowlight_edge.raw.sid import parse_sid_list

    root = WORK / "sid"
    root.mkdir(exist_ok=True)

    @settings(max_examples=examples, **FUZZ)
    @given(st.lists(LINE, max_size=6), st.booleans())
    def case(lines, binary):
        listing = root / "list.txt"
        text = "\n".join(lines)
        listing.write_bytes(text.encode("utf-16") if binary else text.encode("utf-8", "surrogatepass"))
        try:
            pairs = parse_sid_list(listing, root)
        except LowlightError:
            return
        for pair in pairs:  # whatever is accepted stays inside the dataset root and has a usable ratio
            assert pair.short.is_relative_to(root.resolve()) and pair.long.is_relative_to(root.resolve())
            assert np.isfinite(pair.ratio) and pair.ratio > 0

    case()


# --- INT8 calibration cache ------------------------------------------------------------------------------

VALID_CACHE = {
    "CLS": "TensorsData",
    "calibration_method": {"CLS": "CalibrationMethod", "value": "CalibrationMethod.MinMax"},
    "smooth_quant": False,
    "data": {
        "x": {"lowest": {"data": [-1.0], "dtype": "float32", "CLS": "numpy.array"},
              "highest": {"data": [2.0], "dtype": "float32", "CLS": "numpy.array"}, "CLS": "TensorData"},
        "y": {"lowest": -0.5, "highest": {"data": 3.0, "dtype": "float32", "CLS": "numpy.array"}, "hist": 12,
              "bins": 10, "CLS": "TensorData"},
    },
}


@_both()
def test_fuzz_calibration_cache(examples):
    from onnxruntime.quantization.calibrate import TensorsData

    from lowlight_edge.quantize.calibration_cache import check_calibration_cache

    path = WORK / "cache.json"
    path.write_text(json.dumps(VALID_CACHE))
    assert check_calibration_cache(path) == 2
    seen = {"accepted": 0, "refused": 0}

    @settings(max_examples=examples, **FUZZ)
    @given(st.lists(st.integers(0, 50), max_size=5), JSON | st.floats(-10, 10), st.binary(max_size=64), st.booleans())
    def case(where, value, junk, use_junk):
        if use_junk:
            path.write_bytes(junk)
        else:
            path.write_text(json.dumps(_mutate_json(json.loads(json.dumps(VALID_CACHE)), where, value)))
        try:
            check_calibration_cache(path)
        except LowlightError:
            seen["refused"] += 1
            return
        seen["accepted"] += 1
        TensorsData.from_dict(json.loads(path.read_text()))  # what the check accepts, ONNX Runtime can load

    case()
    # both paths reached: a check that refused everything would pass the loop above
    assert seen["accepted"] > 0 and seen["refused"] > 0, seen


# --- TensorRT engine metadata -----------------------------------------------------------------------------

def _valid_meta() -> dict:
    from dataclasses import asdict

    from lowlight_edge.engines.trt.meta import EngineMeta

    return asdict(EngineMeta(tensorrt_version="10.3.0.26", gpu_name="Orin", compute_capability="8.7",
                             driver_version="540.3", cuda_version="12.6", precision="int8", onnx_path="m.onnx",
                             onnx_sha256="ab" * 32, profile={"min": [1, 4, 512, 512]}))


@_both()
def test_fuzz_engine_metadata(examples):
    from lowlight_edge.engines.trt.meta import RuntimeInfo, compatibility, meta_path, read_meta

    engine = WORK / "m.engine"
    runtime = RuntimeInfo("10.3.0.26", "8.7", "Orin")
    seen = {"accepted": 0, "refused": 0}

    @settings(max_examples=examples, **FUZZ)
    @given(st.lists(st.integers(0, 50), max_size=3), JSON | st.text(max_size=8), st.binary(max_size=64), st.booleans())
    def case(where, value, junk, use_junk):
        if use_junk:
            meta_path(engine).write_bytes(junk)
        else:
            meta_path(engine).write_text(json.dumps(_mutate_json(_valid_meta(), where, value)))
        try:
            meta = read_meta(engine)
        except LowlightError:
            seen["refused"] += 1
            return
        seen["accepted"] += 1
        assert isinstance(compatibility(meta, runtime), list)  # an accepted file never breaks the decision

    case()
    assert seen["accepted"] > 0 and seen["refused"] > 0, seen


# --- benchmark results (`report`) -------------------------------------------------------------------------

REAL_RESULT = Path(__file__).resolve().parents[1] / "benchmarks/results/2026-11-27-cpu2core-demo/demo.json"


@_both()
def test_fuzz_report_input(examples):
    from lowlight_edge.bench.records import load_document, records_from_document
    from lowlight_edge.bench.report import merge

    valid = json.loads(REAL_RESULT.read_text())
    path = WORK / "result.json"
    seen = {"accepted": 0, "refused": 0}

    @settings(max_examples=examples, **FUZZ)
    @given(st.lists(st.integers(0, 60), min_size=1, max_size=4), JSON)
    def case(where, value):
        path.write_text(json.dumps(_mutate_json(json.loads(json.dumps(valid)), where, value)))
        try:
            doc = load_document(path)
        except LowlightError:
            seen["refused"] += 1
            return
        seen["accepted"] += 1
        records_from_document(doc)
        assert "Latency" in merge([path])  # what the check accepts, the report renders

    case()
    assert seen["accepted"] > 0 and seen["refused"] > 0, seen


# --- checkpoint metadata and state-dict keys ---------------------------------------------------------------

CONFIG_FIELD = st.sampled_from(["width", "depth", "in_channels", "upscale", "out_channels", "attention", "x"])


@_both()
def test_fuzz_checkpoint_metadata_and_keys(examples):
    import torch
    from safetensors.torch import save_file

    from lowlight_edge.model.checkpoint import load_generator

    path = WORK / "fuzz.safetensors"
    seen = {"accepted": 0, "refused": 0}

    @settings(max_examples=examples, **FUZZ)
    @given(st.dictionaries(CONFIG_FIELD, JSON, max_size=6) | JSON, st.lists(st.text(min_size=1, max_size=20),
                                                                             min_size=1, max_size=3))
    def case(config, keys):
        save_file({key: torch.zeros(2) for key in keys}, str(path), metadata={"lowlight_edge.config": json.dumps(config)})
        try:
            load_generator(path)
        except LowlightError:
            seen["refused"] += 1
            return
        seen["accepted"] += 1

    case()
    assert seen["refused"] > 0, seen  # no random key set is a whole generator


# --- PNG headers ---------------------------------------------------------------------------------------

@_both()
def test_fuzz_png_header(examples):
    from lowlight_edge.fileio.png import read_png, write_png

    valid = write_png(WORK / "seed.png", np.random.default_rng(0).random((24, 32, 3)), force=True).read_bytes()
    path = WORK / "case.png"
    seen = {"accepted": 0, "refused": 0}

    @settings(max_examples=examples, **FUZZ)
    @given(st.integers(0, 40), st.binary(min_size=1, max_size=12))
    def case(offset, patch):  # the signature, IHDR (size, depth, colour type) and the start of the data
        path.write_bytes(valid[:offset] + patch + valid[offset + len(patch):])
        try:
            image = read_png(path)
        except LowlightError:
            seen["refused"] += 1
            return
        seen["accepted"] += 1
        assert image.ndim == 3 and image.shape[2] == 3

    case()
    assert seen["refused"] > 0, seen


# --- ONNX external-data fields ----------------------------------------------------------------------------

@_both()
def test_fuzz_onnx_external_data_fields(examples, tiny_onnx):
    import onnx

    from lowlight_edge.onnxgraph.files import validate_onnx_file

    folder = WORK / "external"
    folder.mkdir(exist_ok=True)
    source = onnx.load(str(tiny_onnx))
    weight = max(source.graph.initializer, key=lambda t: len(t.raw_data))
    (folder / "w.bin").write_bytes(weight.raw_data)
    seen = {"accepted": 0, "refused": 0}
    field_value = st.one_of(st.just("w.bin"), st.text(max_size=30), st.integers(-2**40, 2**40).map(str))

    @settings(max_examples=examples, **FUZZ)
    @given(st.dictionaries(st.sampled_from(["location", "offset", "length", "checksum"]), field_value, max_size=4))
    def case(fields):
        model = onnx.ModelProto()
        model.CopyFrom(source)
        tensor = next(t for t in model.graph.initializer if t.name == weight.name)
        tensor.ClearField("raw_data")
        tensor.data_location = onnx.TensorProto.EXTERNAL
        for key, value in {"location": "w.bin", **fields}.items():
            entry = tensor.external_data.add()
            entry.key, entry.value = key, value
        path = folder / "m.onnx"
        path.write_bytes(model.SerializeToString())
        try:
            validate_onnx_file(path)
        except LowlightError:
            seen["refused"] += 1
            return
        seen["accepted"] += 1
        onnx.load(str(path))  # what the check accepts, onnx reads

    case()
    assert seen["accepted"] > 0 and seen["refused"] > 0, seen
