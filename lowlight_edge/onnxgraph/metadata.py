"""Metadata properties of an ONNX file: how the project's files describe themselves, read and written here.

Keys are plain strings prefixed `lowlight_edge.`; structured values are JSON. Export writes them (see
export/metadata.py), quantize adds precision keys, and runtimes read them back.
"""

import json
from typing import TYPE_CHECKING

from lowlight_edge.errors import ModelError
from lowlight_edge.raw.colour import CONVENTIONS

if TYPE_CHECKING:  # onnx takes ~0.8 s to import; the CLI reads these keys long before it loads a model
    import onnx

INPUT_LAYOUT = "NCHW float32 [N, 4, H/2, W/2]: 2x2 Bayer cell packed as R, G1, B, G2 (any CFA phase rotated to RGGB)"
NORMALIZATION = "clip((raw - black) / (white - black), 0, 1) * ratio, then min(., 1.0); ratio = reference / input exposure"
NEUTRAL_NORMALIZATION = ("clip(mix @ ((raw - black) * ratio / (white - black)), -4 c, 4 c) per 2x2 cell, c = min(ratio, "
                         "1), mix = the file's as-shot white balance and camera -> linear sRGB matrix "
                         "(lowlight_edge.raw.colour); ratio = reference / input exposure")
OUTPUT_LAYOUT = "NCHW float32 [N, 3, H, W] sRGB; clip to [0, 1]"

CONFIG_KEY = "lowlight_edge.config"
PRECISION_KEY = "lowlight_edge.precision"
# "camera" or "neutral" (raw/colour.py): what the network's input is; files from before it was kept are "camera"
INPUT_CONVENTION_KEY = "lowlight_edge.input_convention"
# an INT8 graph's float body: "fp16" (INT8 over FP16, quantize/int8_fp16.py) or "fp32"; files from before: fp32
INT8_BASE_KEY = "lowlight_edge.int8_base"
# JSON {node: why it stays FP32} in a reduced-precision graph (what `check` lists as documented keeps)
FP32_KEEPS_KEY = "lowlight_edge.fp32_keeps"
FP32_NODES_KEY = "lowlight_edge.fp32_nodes"  # the same nodes, comma-separated, as FP16 files have always had
# what export writes (export/metadata.py) and runtimes read back
VERSION_KEY = "lowlight_edge.version"
VERSIONS_KEY = "lowlight_edge.versions"  # the libraries that made the file
INPUT_LAYOUT_KEY = "lowlight_edge.input_layout"
NORMALIZATION_KEY = "lowlight_edge.normalization"
OUTPUT_LAYOUT_KEY = "lowlight_edge.output_layout"
SIZE_MULTIPLE_KEY = "lowlight_edge.size_multiple"
CHECKPOINT_SHA256_KEY = "lowlight_edge.checkpoint_sha256"
# what quantize adds
FP16_MARGIN_KEY = "lowlight_edge.fp16_margin"
INT8_TARGET_KEY = "lowlight_edge.int8_target"
INT8_METHOD_KEY = "lowlight_edge.int8_method"
INT8_EXCLUDED_KEY = "lowlight_edge.int8_excluded"
INT8_WEIGHT_BITS_KEY = "lowlight_edge.int8_weight_bits"
INT8_REWRITES_KEY = "lowlight_edge.int8_rewrites"
FP32_ONNX_SHA256_KEY = "lowlight_edge.fp32_onnx_sha256"
PIPELINE_KEY = "lowlight_edge.pipeline"  # a pipeline graph's spec (onnxgraph/pipeline_io.py)


def set_metadata(model: "onnx.ModelProto", props: dict[str, str]) -> None:
    """Replace existing keys, keep others."""
    existing = {p.key: p for p in model.metadata_props}
    for key, value in props.items():
        if key in existing:
            existing[key].value = value
        else:
            model.metadata_props.add(key=key, value=value)


def read_metadata(model: "onnx.ModelProto") -> dict[str, str]:
    return {p.key: p.value for p in model.metadata_props}


MAX_SIZE_MULTIPLE = 128  # 2**depth with depth at most 7 (model/config.py LIMITS)


def size_multiple_of(meta: dict[str, str]) -> int:
    """The packed-size multiple a network declares (16 where it says nothing), range-checked before anything is
    sized from it: 4096 would make the pipeline's gate frames 4 GB."""
    text = meta.get(SIZE_MULTIPLE_KEY, "16")
    value = int(text) if text.isascii() and text.isdigit() and len(text) < 10 else 0
    if not 1 <= value <= MAX_SIZE_MULTIPLE or value & (value - 1):
        raise ModelError(f"the model declares {SIZE_MULTIPLE_KEY} {text[:40]!r}; a network's size multiple is a power "
                         f"of two from 1 to {MAX_SIZE_MULTIPLE}")
    return value


def input_convention_of(meta: dict[str, str]) -> str:
    """A model's input convention from its metadata: its own key, else its generator config's, else "camera"."""
    convention = meta.get(INPUT_CONVENTION_KEY)
    if convention is None:
        try:
            convention = json.loads(meta.get(CONFIG_KEY, "{}")).get("input_convention", "camera")
        except (ValueError, AttributeError, RecursionError):
            convention = "camera"  # a config that does not parse says nothing about the convention
    if convention not in CONVENTIONS:
        raise ModelError(f"the model declares input convention {str(convention)[:40]!r}; only "
                         f"{', '.join(CONVENTIONS)} exist")
    return convention
