"""One optimization profile for the packed input [N, 4, H, W]: min / opt / max shapes from flags.

A pipeline graph takes the frame's mosaic bytes instead (uint8 [H, 2W]): the same profile, given in packed
shapes, becomes the mosaic shapes of the frames whose packed sizes it spans (`for_input`).
"""

from dataclasses import dataclass

from lowlight_edge.errors import InputError

MULTIPLE = 16
DEFAULT_MIN = (1, 4, 512, 512)  # a 512x512 packed tile
DEFAULT_OPT = (1, 4, 1424, 2128)  # the Sony a7S II full frame, packed: what latency is quoted for
DEFAULT_MAX = (1, 4, 1424, 2128)


def parse_profile_shape(text: str) -> tuple[int, int, int, int]:
    """'1x4x512x512', or 'HxW' for batch 1.

    >>> parse_profile_shape("512x768")
    (1, 4, 512, 768)
    >>> parse_profile_shape("2x4x256x256")
    (2, 4, 256, 256)
    """
    try:
        dims = tuple(int(p) for p in text.lower().split("x"))
    except ValueError:
        raise InputError(f"shape must be HxW or NxCxHxW (e.g. 1x4x1424x2128), got {text!r}") from None
    if len(dims) == 2:
        dims = (1, 4, *dims)
    if len(dims) != 4 or min(dims) < 1:
        raise InputError(f"shape must be HxW or NxCxHxW with positive sizes, got {text!r}")
    return dims  # type: ignore[return-value]


@dataclass(frozen=True)
class Profile:
    min: tuple[int, int, int, int] = DEFAULT_MIN
    opt: tuple[int, int, int, int] = DEFAULT_OPT
    max: tuple[int, int, int, int] = DEFAULT_MAX

    def __post_init__(self) -> None:
        for name, shape in (("min", self.min), ("opt", self.opt), ("max", self.max)):
            if shape[1] != 4:
                raise InputError(f"--{name}-shape must have 4 channels (packed Bayer), got {list(shape)}")
            if shape[2] % MULTIPLE or shape[3] % MULTIPLE:
                raise InputError(f"--{name}-shape {shape[2]}x{shape[3]} is not a multiple of {MULTIPLE} "
                                 "(the network pools 4 times)")
        for i, axis in enumerate(("batch", "channels", "height", "width")):
            if not self.min[i] <= self.opt[i] <= self.max[i]:
                raise InputError(f"profile {axis}: need min <= opt <= max, got {self.min[i]}, {self.opt[i]}, "
                                 f"{self.max[i]}")

    def as_dict(self) -> dict:
        return {"min": list(self.min), "opt": list(self.opt), "max": list(self.max)}

    def covers(self, shape) -> bool:
        return all(lo <= s <= hi for lo, s, hi in zip(self.min, shape, self.max))

    def for_input(self, pipeline: bool) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
        """(min, opt, max) of the engine's input: packed shapes, or a pipeline's mosaic bytes [2h, 4w].

        >>> Profile().for_input(pipeline=True)[0]
        (1024, 2048)
        """
        if not pipeline:
            return self.min, self.opt, self.max
        if self.max[0] != 1:
            raise InputError("a pipeline graph runs one frame at a time: the profile's batch must be 1")
        return tuple((2 * s[2], 4 * s[3]) for s in (self.min, self.opt, self.max))  # type: ignore[return-value]

    def trtexec_shapes(self, input_name: str, pipeline: bool = False) -> list[str]:
        fmt = lambda s: "x".join(map(str, s))  # noqa: E731 - local shorthand
        smallest, opt, largest = self.for_input(pipeline)
        return [f"--minShapes={input_name}:{fmt(smallest)}", f"--optShapes={input_name}:{fmt(opt)}",
                f"--maxShapes={input_name}:{fmt(largest)}"]
