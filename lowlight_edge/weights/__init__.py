"""The bundled default model: a lite generator trained by `lowlight-edge train` (see MODEL_CARD.md)."""

from pathlib import Path

from lowlight_edge.errors import InputError

DEFAULT_MODEL = Path(__file__).with_name("default.safetensors")


def default_model() -> Path:
    """The path of the bundled checkpoint (lite width, trained on synthetic frames; see MODEL_CARD.md)."""
    if not DEFAULT_MODEL.is_file():
        raise InputError(f"the bundled default model is missing ({DEFAULT_MODEL}); reinstall lowlight-edge or pass --model")
    return DEFAULT_MODEL
