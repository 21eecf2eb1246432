"""Architecture configuration of the generator, stored in every checkpoint and ONNX file.

Kept free of torch so that the runtime side (which reads it from ONNX metadata) does not need torch.
"""

import json
from dataclasses import asdict, dataclass, fields

from lowlight_edge.errors import InputError
from lowlight_edge.raw.colour import CONVENTIONS

# Named base widths: 32 reproduces SID's 32..512 channels; lite halves every level.
PRESETS = {"default": 32, "lite": 16}
# What a checkpoint's config may ask for: a file is untrusted, and the network is built from its config.
LIMITS = {"width": (1, 256), "depth": (1, 7), "in_channels": (4, 4), "upscale": (1, 4), "out_channels": (1, 4)}


@dataclass(frozen=True)
class GeneratorConfig:
    width: int = 32  # channels of the first encoder level; level i has width * 2**i
    depth: int = 4  # number of poolings; packed H and W must be multiples of 2**depth
    in_channels: int = 4  # packed Bayer R, G1, B, G2
    upscale: int = 2  # pixel-shuffle factor back to full resolution
    out_channels: int = 3  # RGB
    attention: bool = True  # additive attention gate on every skip connection
    # what the network's input is (raw/colour.py): "camera" (SID: one camera's raw as recorded, the default for every
    # checkpoint that does not say) or "neutral" (white-balanced and in linear sRGB primaries, so any camera)
    input_convention: str = "camera"

    def __post_init__(self) -> None:
        for name, (low, high) in LIMITS.items():
            value = getattr(self, name)
            if type(value) is not int:  # noqa: E721 - bool is an int subclass and must not pass
                raise InputError(f"generator config field {name!r} must be an integer, got {type(value).__name__}")
            if not low <= value <= high:
                raise InputError(f"generator config field {name!r} is {value}, outside {low}..{high}")
        if type(self.attention) is not bool:  # noqa: E721
            raise InputError(f"generator config field 'attention' must be true or false, got "
                             f"{type(self.attention).__name__}")
        if self.input_convention not in CONVENTIONS:
            raise InputError(f"generator config field 'input_convention' must be one of {', '.join(CONVENTIONS)}, "
                             f"got {str(self.input_convention)[:40]!r}")

    @property
    def multiple(self) -> int:
        """Packed H and W must be multiples of this."""
        return 2**self.depth

    @property
    def level_widths(self) -> list[int]:
        return [self.width * 2**i for i in range(self.depth + 1)]

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "GeneratorConfig":
        try:
            raw = json.loads(text)
        except (TypeError, ValueError, RecursionError) as exc:
            raise InputError(f"architecture config is not valid JSON: {str(exc)[:200]}") from exc
        return cls.from_dict(raw)

    @classmethod
    def from_dict(cls, raw: dict) -> "GeneratorConfig":
        if not isinstance(raw, dict):
            raise InputError("architecture config must be a JSON object")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(raw) - known)
        if unknown:
            raise InputError(f"architecture config has unknown field {unknown[0]!r}")
        return cls(**raw)


def parse_width(text: str) -> int:
    """`--width` accepts a preset name (default, lite) or a positive integer."""
    if text in PRESETS:
        return PRESETS[text]
    try:
        value = int(text)
    except ValueError:
        raise InputError(f"--width must be a positive integer or one of {sorted(PRESETS)}, got {text!r}") from None
    if value < 1:
        raise InputError(f"--width must be >= 1, got {value}")
    return value
