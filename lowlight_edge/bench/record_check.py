"""A benchmark result read back (`report`) is checked field by field before a record is built from it.

A result file is untrusted input like any other: a string where the shape should be, or a row without
timings, would otherwise fail deep inside the tables and plots. Each field of BenchRecord has one rule here;
the first broken one is named in one line.
"""

import math

from lowlight_edge.errors import InputError


def _number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _count(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


def _numbers(v) -> bool:
    return isinstance(v, list) and all(_number(x) for x in v)


def _shape(v) -> bool:  # packed input [N, 4, h, w]
    return isinstance(v, list) and len(v) == 4 and all(_count(x) for x in v)  # 0 x 0: a RAW file's own size


def _stats(v) -> bool:
    return isinstance(v, dict) and all(isinstance(k, str) and _number(x) for k, x in v.items())


def _stages(v) -> bool:
    return isinstance(v, dict) and all(isinstance(s, dict) and _number(s.get("median_ms")) for s in v.values())


def _strings(v) -> bool:
    return isinstance(v, list) and all(isinstance(x, str) for x in v)


def _memory(v) -> bool:  # bench.memory's summary: numbers, and an error message when it failed
    return isinstance(v, dict) and _number(v.get("peak_rss_mib", 0)) and isinstance(v.get("error", ""), str)


def _optional(rule):
    return lambda v: v is None or rule(v)


def _is(kind):
    return lambda v: isinstance(v, kind)


RULES = {  # field: (rule, what it must be)
    "model": (_is(str), "a string"), "backend": (_is(str), "a string"), "precision": (_is(str), "a string"),
    "shape": (_shape, "[N, 4, h, w] of whole numbers"), "warmup": (_count, "a count"),
    "runs": (_count, "a count"), "threads": (_optional(_count), "a count or null"),
    "source_sha256": (_optional(_is(str)), "a string or null"), "stats": (_stats, "an object of numbers"),
    "times_ms": (_numbers, "a list of numbers"), "speedup_vs_torch": (_optional(_number), "a number or null"),
    "meets_target": (_optional(_is(bool)), "true, false or null"), "notes": (_strings, "a list of strings"),
    "stages": (_optional(_stages), "an object of stage summaries with median_ms, or null"),
    "flops": (_optional(_number), "a number or null"), "gflops_per_s": (_optional(_number), "a number or null"),
    "timer": (_is(str), "a string"), "host_times_ms": (_optional(_numbers), "a list of numbers or null"),
    "skipped": (_optional(_is(str)), "a string or null"), "baseline": (_optional(_is(str)), "a string or null"),
    "max_tile": (_optional(_count), "a count or null"), "memory": (_optional(_memory), "an object with a numeric peak_rss_mib, or null"),
}


def check_document(doc: dict, path, required: tuple[str, ...], views: tuple[str, ...]) -> None:
    """Raise one InputError naming the first record field that breaks its rule; `required` are the fields a
    record cannot lack, `views` the modes it may have (both from bench.records)."""
    if not isinstance(doc.get("environment", {}), dict):
        raise InputError(f"{path}: 'environment' must be an object")
    for index, record in enumerate(doc["records"]):
        where = f"{path}: record {index}"
        if not isinstance(record, dict):
            raise InputError(f"{where} is not an object")
        missing = [name for name in required if name not in record]
        if missing:
            raise InputError(f"{where} lacks {', '.join(missing)}")
        for name, (rule, what) in RULES.items():
            if name in record and not rule(record[name]):
                raise InputError(f"{where}: '{name}' must be {what}, got {str(record[name])[:60]!r}")
        if record.get("mode", views[0]) not in views:  # the view names come from bench.records
            raise InputError(f"{where}: 'mode' must be one of {', '.join(views)}, got {str(record['mode'])[:60]!r}")
        median = record["stats"].get("median_ms")
        if record.get("skipped") is None and not (_number(median) and math.isfinite(median)):
            raise InputError(f"{where} ran but has no finite stats.median_ms")
