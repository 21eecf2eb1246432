"""FP32 ONNX -> INT8 ONNX with explicit Q/DQ nodes, calibrated on packed RAW frames (a loader).

Two targets, because the fastest graph differs:
- `tensorrt`: symmetric INT8 activations and weights (zero point 0), weights per output channel (axis 0
  for Conv, axis 1 for ConvTranspose), Q/DQ only on the inputs and weights of Conv/ConvTranspose where
  TensorRT fuses them, biases left in float (TensorRT quantizes them itself); no graph optimisation, so
  no ONNX Runtime-only fused ops reach the TensorRT parser. The float layers between run in FP16 by default
  (INT8 over FP16, quantize/int8_fp16.py: what a strongly typed engine and Orin's DLA need), FP32 with base "fp32".
- `cpu`: what ONNX Runtime's CPU kernels run fastest: U8 asymmetric activations, S8 symmetric per-channel
  weights, every quantizable op, after ONNX Runtime's pre-processing; the 2x upsamplings are rewritten so
  that they stay INT8 there (quantize/rewrites/interleave.py).

Both targets first split each convolution that reads a concatenation (quantize/rewrites/split_concat.py), so that the
upsampled features and the gated skip keep their own INT8 scales, and equalize activation channels on the
calibration frames (quantize/rewrites/equalize.py).

Calibration ranges are cached as JSON (keyed by the model's sha256, the source, shape, frame count and
method) and reused, so re-quantizing with other exclusions costs no calibration.
"""

import contextlib
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper

from lowlight_edge.engines.variants import int8_targets
from lowlight_edge.errors import ExportError, MissingDependency
from lowlight_edge.fileio.atomic import atomic_output
from lowlight_edge.fileio.hashing import sha256_file
from lowlight_edge.onnxgraph.graph import producers
from lowlight_edge.onnxgraph.metadata import (
    FP32_ONNX_SHA256_KEY,
    INT8_BASE_KEY,
    INT8_EXCLUDED_KEY,
    INT8_METHOD_KEY,
    INT8_REWRITES_KEY,
    INT8_TARGET_KEY,
    INT8_WEIGHT_BITS_KEY,
    PRECISION_KEY,
    read_metadata,
    set_metadata,
)
from lowlight_edge.quantize.calibration_cache import check_calibration_cache
from lowlight_edge.quantize.int8_fp16 import BASES, float_peaks, int8_over_fp16
from lowlight_edge.quantize.rewrites.equalize import equalize_activations
from lowlight_edge.quantize.rewrites.interleave import rewrite_upsampling, shapes_read_quantized
from lowlight_edge.quantize.rewrites.split_concat import split_concat_convs

TARGETS = int8_targets()  # from the variant table: ("tensorrt", "cpu")
METHODS = ("minmax", "percentile", "entropy")
QUANTIZED_OPS_TENSORRT = ["Conv", "ConvTranspose"]
# The rewrites made before calibrating (recorded in the model, part of the cache key: ranges are per tensor name)
GRAPH_REWRITES = "split-concat/1,interleave-cpu/1,equalize/1"


@dataclass
class Int8Options:
    target: str = "tensorrt"
    method: str = "percentile"
    percentile: float = 99.99
    exclude: list[str] = field(default_factory=list)  # node names kept in float
    only: list[str] | None = None  # quantize these nodes alone (sensitivity probes); None: every eligible node
    weight_bits: int = 8  # 7: weights in [-64, 64], safe on CPUs whose INT8 kernels saturate (x86 without VNNI)
    base: str = "fp16"  # tensorrt target: the float body in FP16 ("fp16", quantize/int8_fp16.py) or FP32


@dataclass
class Int8Report:
    output: Path
    quantized_nodes: list[str]
    excluded_nodes: list[str]
    cache: Path | None
    cache_hit: bool
    convolutions: int = 0  # of the quantized nodes, Conv/ConvTranspose


class _Reader:
    """onnxruntime.quantization.CalibrationDataReader over in-memory batches."""

    def __init__(self, input_name: str, batches: list[np.ndarray]) -> None:
        self._feeds = iter([{input_name: b} for b in batches])

    def get_next(self):
        return next(self._feeds, None)

    def rewind(self):  # the calibrators of some versions call it
        pass


def cache_key(model_sha256: str, source: str, shape, count: int, target: str, method: str, percentile: float) -> str:
    """Ranges depend on the model, the frames, the method and the target (which tensors get calibrated)."""
    text = json.dumps([model_sha256, source, list(shape), count, target, method, percentile, GRAPH_REWRITES])
    return hashlib.sha256(text.encode()).hexdigest()[:24]


@contextlib.contextmanager
def _inside(folder: Path):
    """quant_pre_process and the calibrators leave files in the working directory: keep them in `folder`."""
    previous = os.getcwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(previous)


def int8_from_onnx(source: Path, output: Path, batches: list[np.ndarray], options: Int8Options,
                   cache_path: Path | None = None, force: bool = False) -> Int8Report:
    try:
        from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static
        from onnxruntime.quantization.shape_inference import quant_pre_process
    except ImportError as exc:  # pragma: no cover - onnxruntime builds without the quantization tools
        raise MissingDependency(f"INT8 quantization needs onnxruntime's quantization tools ({exc})") from exc
    if (options.target not in TARGETS or options.method not in METHODS or options.weight_bits not in (7, 8)
            or options.base not in BASES):
        raise ExportError(f"target must be one of {TARGETS}, method one of {METHODS}, weight bits 7 or 8, base one of "
                          f"{BASES}")
    source = Path(source).resolve()
    output = Path(output)
    cache_path = Path(cache_path).resolve() if cache_path is not None else None  # before the chdir below
    method = {"minmax": CalibrationMethod.MinMax, "percentile": CalibrationMethod.Percentile,
              "entropy": CalibrationMethod.Entropy}[options.method]
    trt = options.target == "tensorrt"
    extra = {"ActivationSymmetric": trt, "WeightSymmetric": True, "QuantizeBias": not trt}
    if trt:  # Q/DQ on Conv inputs and weights only: TensorRT fuses those, and requantizes outputs itself
        extra["OpTypesToExcludeOutputQuantization"] = QUANTIZED_OPS_TENSORRT
    if options.method == "percentile":
        extra["CalibPercentile"] = options.percentile
    input_name = onnx.load(str(source), load_external_data=False).graph.input[0].name
    cache_hit = cache_path is not None and cache_path.exists()
    if cache_hit:
        check_calibration_cache(cache_path)  # also refuses a FIFO or folder there, which the quantizer would block on
    if cache_path is not None:
        Path(cache_path).parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lowlight-int8-") as tmp, _inside(Path(tmp)):
        rewritten, renamed = quantization_friendly(source, Path(tmp) / "rewritten.onnx", options.target, batches)
        over_fp16 = trt and options.base == "fp16"
        peaks = float_peaks(rewritten, batches) if over_fp16 else {}
        excluded = _renamed(options.exclude, renamed)
        prepared = Path(tmp) / "prepared.onnx"
        quant_pre_process(str(rewritten), str(prepared), skip_optimization=trt, skip_symbolic_shape=True)
        quantized = Path(tmp) / "quantized.onnx"
        try:
            quantize_static(
                str(prepared), str(quantized), _Reader(input_name, batches) if not cache_hit else None,
                quant_format=QuantFormat.QDQ, per_channel=True, reduce_range=options.weight_bits == 7,
                activation_type=QuantType.QInt8 if trt else QuantType.QUInt8, weight_type=QuantType.QInt8,
                op_types_to_quantize=QUANTIZED_OPS_TENSORRT if trt else None,
                nodes_to_quantize=_renamed(options.only, renamed) if options.only else None,
                nodes_to_exclude=excluded, calibrate_method=method,
                extra_options=extra,
                calibration_cache_path=str(cache_path) if cache_path else None,
            )
        except (ValueError, RuntimeError, KeyError) as exc:
            raise ExportError(f"INT8 quantization failed: {str(exc).splitlines()[0][:300]}") from exc
        model = onnx.load(str(quantized))
    if trt:
        keep_float_for_non_conv_consumers(model)
    else:
        shapes_read_quantized(model)
    if over_fp16:
        model, _ = int8_over_fp16(model, peaks)
    meta = read_metadata(model)  # the FP16 pass's keys, then the source's own
    meta.update(read_metadata(onnx.load(str(source), load_external_data=False)))
    meta.update({PRECISION_KEY: "int8", INT8_TARGET_KEY: options.target,
                 INT8_METHOD_KEY: options.method, INT8_EXCLUDED_KEY: ",".join(options.exclude),
                 FP32_ONNX_SHA256_KEY: sha256_file(source),
                 INT8_REWRITES_KEY: GRAPH_REWRITES, INT8_WEIGHT_BITS_KEY: str(options.weight_bits),
                 INT8_BASE_KEY: "fp16" if over_fp16 else "fp32"})
    set_metadata(model, meta)
    check_scales(model)
    with atomic_output(output, force) as tmp_out:
        onnx.save(model, str(tmp_out))
    quantized = quantized_nodes(model)
    names = set(quantized)
    convolutions = sum(1 for n in model.graph.node if n.name in names and n.op_type in QUANTIZED_OPS_TENSORRT)
    return Int8Report(output=output, quantized_nodes=quantized, excluded_nodes=list(options.exclude),
                      cache=Path(cache_path) if cache_path else None, cache_hit=cache_hit, convolutions=convolutions)


def check_scales(model: onnx.ModelProto) -> None:
    """Every Q/DQ scale finite and positive, or nothing is written: a bad range must not become a model."""
    inits = {t.name: t for t in model.graph.initializer}
    for node in model.graph.node:
        if node.op_type in ("QuantizeLinear", "DequantizeLinear") and len(node.input) > 1 and node.input[1] in inits:
            scale = numpy_helper.to_array(inits[node.input[1]]).astype(np.float64)
            if not (np.isfinite(scale).all() and (scale > 0).all()):
                raise ExportError(f"INT8 quantization produced a non-finite or non-positive scale at {node.name!r}; "
                                  "the calibration ranges are corrupt (delete the calibration cache to recalibrate)")


_REWRITTEN: dict[tuple, tuple[bytes, dict]] = {}  # the sensitivity probes quantize one source many times


def quantization_friendly(source: Path, output: Path, target: str,
                          batches: list[np.ndarray] | None = None) -> tuple[Path, dict[str, list[str]]]:
    """The exact graph rewrites made before quantizing; returns the rewritten file and {old node: new nodes}.

    With calibration batches, activation channels are also equalized on them (quantize/rewrites/equalize.py).
    """
    frames = hashlib.sha256(b"".join(np.ascontiguousarray(b).tobytes() for b in batches or [])).hexdigest()
    key = (str(source), source.stat().st_mtime_ns, target, frames)
    if key not in _REWRITTEN:
        model = onnx.load(str(source))
        renamed = split_concat_convs(model)
        if target == "cpu":
            renamed.update(rewrite_upsampling(model))
        if batches:
            equalize_activations(model, batches)
        _REWRITTEN.clear()
        _REWRITTEN[key] = (model.SerializeToString(), renamed)
    data, renamed = _REWRITTEN[key]
    output.write_bytes(data)
    return output, renamed


def _renamed(names: list[str], renamed: dict[str, list[str]]) -> list[str]:
    """Node names as given by a user (or an older model) mapped onto the rewritten graph."""
    return [new for name in names for new in renamed.get(name, [name])]


def keep_float_for_non_conv_consumers(model: onnx.ModelProto) -> None:
    """Rewire readers other than Conv/ConvTranspose of a Q->DQ'd activation back to the float tensor.

    ONNX Runtime puts one Q/DQ pair on a tensor shared by a Conv and, say, a MaxPool or the attention
    gate's Mul; TensorRT would then run those readers on requantized values it cannot fuse. Only the
    convolution should see the quantized copy.
    """
    inits = {t.name for t in model.graph.initializer}
    producer = producers(model)
    float_of = {}
    for dq in model.graph.node:
        q = producer.get(dq.input[0]) if dq.op_type == "DequantizeLinear" else None
        if q is not None and q.op_type == "QuantizeLinear" and q.input[0] not in inits:
            float_of[dq.output[0]] = q.input[0]
    for node in model.graph.node:
        if node.op_type not in QUANTIZED_OPS_TENSORRT:
            node.input[:] = [float_of.get(name, name) for name in node.input]


def quantized_nodes(model: onnx.ModelProto) -> list[str]:
    """Compute nodes that read at least one tensor through a DequantizeLinear (they run quantized)."""
    producer = producers(model)
    return sorted(n.name for n in model.graph.node if n.op_type not in ("QuantizeLinear", "DequantizeLinear")
                  and any(getattr(producer.get(i), "op_type", None) == "DequantizeLinear" for i in n.input))
