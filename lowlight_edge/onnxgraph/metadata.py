"""Metadata properties of an ONNX file: how the project's files describe themselves, read and written here.

Keys are plain strings prefixed `lowlight_edge.`; structured values are JSON. Export writes them (see
export/metadata.py), quantize adds precision keys, and runtimes read them back.
"""

import onnx

INPUT_LAYOUT = "NCHW float32 [N, 4, H/2, W/2]: 2x2 Bayer cell packed as R, G1, B, G2 (any CFA phase rotated to RGGB)"
NORMALIZATION = "clip((raw - black) / (white - black), 0, 1) * ratio, then min(., 1.0); ratio = reference / input exposure"
OUTPUT_LAYOUT = "NCHW float32 [N, 3, H, W] sRGB; clip to [0, 1]"

CONFIG_KEY = "lowlight_edge.config"
PRECISION_KEY = "lowlight_edge.precision"


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
