"""Metadata properties written into every exported ONNX file, and read back by the runtime side.

They make an ONNX file self-describing: which architecture, how to prepare its input, which checkpoint
and library versions produced it. Keys are plain strings; structured values are JSON.
"""

import json
import platform

import onnx

from lowlight_edge import __version__
from lowlight_edge.model.config import GeneratorConfig

INPUT_LAYOUT = "NCHW float32 [N, 4, H/2, W/2]: 2x2 Bayer cell packed as R, G1, B, G2 (any CFA phase rotated to RGGB)"
NORMALIZATION = "clip((raw - black) / (white - black), 0, 1) * ratio, then min(., 1.0); ratio = reference / input exposure"
OUTPUT_LAYOUT = "NCHW float32 [N, 3, H, W] sRGB; clip to [0, 1]"

CONFIG_KEY = "lowlight_edge.config"


def export_metadata(config: GeneratorConfig, checkpoint_sha256: str, versions: dict[str, str]) -> dict[str, str]:
    return {
        "lowlight_edge.version": __version__,
        CONFIG_KEY: config.to_json(),
        "lowlight_edge.input_layout": INPUT_LAYOUT,
        "lowlight_edge.normalization": NORMALIZATION,
        "lowlight_edge.output_layout": OUTPUT_LAYOUT,
        "lowlight_edge.size_multiple": str(config.multiple),
        "lowlight_edge.checkpoint_sha256": checkpoint_sha256,
        "lowlight_edge.precision": "fp32",
        "lowlight_edge.versions": json.dumps({"python": platform.python_version(), **versions}, sort_keys=True),
    }


def set_metadata(model: onnx.ModelProto, props: dict[str, str]) -> None:
    """Replace existing keys, keep others."""
    existing = {p.key: p for p in model.metadata_props}
    for key, value in props.items():
        if key in existing:
            existing[key].value = value
        else:
            model.metadata_props.add(key=key, value=value)


def read_metadata(model: onnx.ModelProto) -> dict[str, str]:
    return {p.key: p.value for p in model.metadata_props}
