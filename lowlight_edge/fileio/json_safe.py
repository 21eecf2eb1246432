"""JSON documents the tool writes: strict JSON has no infinity or NaN, so they become null."""

import math


def json_safe(obj):
    """A copy of `obj` with every non-finite float replaced by None (an identical image's PSNR is infinite).

    >>> json_safe({"psnr": float("inf"), "values": [1.0, float("nan")]})
    {'psnr': None, 'values': [1.0, None]}
    """
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [json_safe(v) for v in obj]
    return obj
