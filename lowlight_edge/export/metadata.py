"""The metadata written into every exported ONNX file: architecture, input preparation, provenance.

It makes an ONNX file self-describing: which architecture, how to prepare its input, which checkpoint and
library versions produced it.
"""

import json
import platform

from lowlight_edge.model.config import GeneratorConfig
from lowlight_edge.onnxgraph.metadata import (
    CHECKPOINT_SHA256_KEY,
    CONFIG_KEY,
    INPUT_CONVENTION_KEY,
    INPUT_LAYOUT,
    INPUT_LAYOUT_KEY,
    NEUTRAL_NORMALIZATION,
    NORMALIZATION,
    NORMALIZATION_KEY,
    OUTPUT_LAYOUT,
    OUTPUT_LAYOUT_KEY,
    PRECISION_KEY,
    SIZE_MULTIPLE_KEY,
    VERSION_KEY,
    VERSIONS_KEY,
)
from lowlight_edge.version import __version__


def export_metadata(config: GeneratorConfig, checkpoint_sha256: str, versions: dict[str, str]) -> dict[str, str]:
    return {
        VERSION_KEY: __version__,
        CONFIG_KEY: config.to_json(),
        INPUT_LAYOUT_KEY: INPUT_LAYOUT,
        NORMALIZATION_KEY: NEUTRAL_NORMALIZATION if config.input_convention == "neutral" else NORMALIZATION,
        INPUT_CONVENTION_KEY: config.input_convention,
        OUTPUT_LAYOUT_KEY: OUTPUT_LAYOUT,
        SIZE_MULTIPLE_KEY: str(config.multiple),
        CHECKPOINT_SHA256_KEY: checkpoint_sha256,
        PRECISION_KEY: "fp32",
        VERSIONS_KEY: json.dumps({"python": platform.python_version(), **versions}, sort_keys=True),
    }
