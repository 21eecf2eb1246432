"""The metadata written into every exported ONNX file: architecture, input preparation, provenance.

It makes an ONNX file self-describing: which architecture, how to prepare its input, which checkpoint and
library versions produced it.
"""

import json
import platform

from lowlight_edge.model.config import GeneratorConfig
from lowlight_edge.onnxgraph.metadata import (
    CONFIG_KEY,
    INPUT_CONVENTION_KEY,
    INPUT_LAYOUT,
    NEUTRAL_NORMALIZATION,
    NORMALIZATION,
    OUTPUT_LAYOUT,
    PRECISION_KEY,
)
from lowlight_edge.version import __version__


def export_metadata(config: GeneratorConfig, checkpoint_sha256: str, versions: dict[str, str]) -> dict[str, str]:
    return {
        "lowlight_edge.version": __version__,
        CONFIG_KEY: config.to_json(),
        "lowlight_edge.input_layout": INPUT_LAYOUT,
        "lowlight_edge.normalization": NEUTRAL_NORMALIZATION if config.input_convention == "neutral" else NORMALIZATION,
        INPUT_CONVENTION_KEY: config.input_convention,
        "lowlight_edge.output_layout": OUTPUT_LAYOUT,
        "lowlight_edge.size_multiple": str(config.multiple),
        "lowlight_edge.checkpoint_sha256": checkpoint_sha256,
        PRECISION_KEY: "fp32",
        "lowlight_edge.versions": json.dumps({"python": platform.python_version(), **versions}, sort_keys=True),
    }
