"""What an enhanced PNG says about itself: the capture metadata a photographer expects (make, model, exposure, ISO)
and how it was made (the ratio applied, the model, the input file), as PNG text chunks (fileio/png.py tags every
PNG sRGB)."""

from lowlight_edge.raw.frame import RawFrame
from lowlight_edge.raw.orientation import NAMES
from lowlight_edge.version import __version__


def capture_text(frame: RawFrame, ratio: float, model: str, backend: str, convention: str,
                 oriented: bool) -> dict[str, str]:
    """tEXt keywords and values for one enhanced frame (values from the file are made printable by the writer)."""
    text = {"Software": f"lowlight-edge {__version__}", "Source": frame.camera, "Make": frame.make,
            "Model": frame.model}
    if frame.exposure_s:
        text["ExposureTime"] = f"{frame.exposure_s:.6g} s"
    if frame.iso:
        text["ISOSpeedRatings"] = f"{frame.iso:g}"
    text.update({
        "lowlight-edge:input": frame.path.name,
        "lowlight-edge:ratio": f"{ratio:g}",
        "lowlight-edge:model": f"{model} ({backend}, {convention} input)",
        "lowlight-edge:orientation": (f"{NAMES[frame.orientation]} (Orientation {frame.orientation}), applied"
                                      if oriented else f"sensor layout kept (the file asks for Orientation "
                                                       f"{frame.orientation}: {NAMES[frame.orientation]})"),
    })
    if convention == "neutral":
        colour = frame.colour
        text["lowlight-edge:colour"] = f"white balance: {colour.gains_source}; matrix: {colour.matrix_source}"
    return text
