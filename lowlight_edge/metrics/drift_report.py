"""Drift results as tables: the terminal summary, the Markdown report, and each failure's one-line reason.

Columns come from the metric catalog: the budgeted drift shows mean and max, every other measure its mean.
"""

import math
from pathlib import Path

from lowlight_edge.fileio.terminal import safe_table
from lowlight_edge.metrics.catalog import DRIFT, MEASURES


def _fmt(value, digits: int = 4) -> str:
    if value is None:
        return "-"
    if isinstance(value, float) and math.isinf(value):
        return "inf"
    return f"{value:.{digits}f}"


def drift_table_rows(aggregates: list[dict]) -> tuple[list[str], list[list[str]]]:
    columns = [(DRIFT, "mean"), (DRIFT, "max")] + [(m, "mean") for m in MEASURES if m is not DRIFT]
    headers = (["model", "backend", "role", "precision", "images", "non-finite", "skipped"]
               + [f"{m.header} {stat}" if m is DRIFT else m.header for m, stat in columns] + ["budget", "result"])
    rows = []
    for a in aggregates:
        verdict = "-" if a["role"] == "reference" and a["passed"] else ("pass" if a["passed"] else "FAIL")
        rows.append([Path(a["model"]).name, a["backend"], a["role"], a["precision"], str(a["images"]),
                     str(a["non_finite_outputs"]), str(a.get("skipped_frames", 0))]
                    + [_fmt(a[m.key][stat], m.metric.digits) for m, stat in columns] + [_fmt(a["budget"]), verdict])
    return headers, rows


def render_table(aggregates: list[dict], fmt: str = "simple", skipped: list[dict] = ()) -> str:
    headers, rows = drift_table_rows(aggregates)
    rows += [[Path(s["model"]).name, s["backend"], "candidate"] + ["-"] * (len(headers) - 4) + [f"skipped: {s['reason']}"]
             for s in skipped]
    return safe_table(rows, headers=headers, tablefmt=fmt, disable_numparse=True)


def render_markdown(aggregates: list[dict], images: list[dict], skipped: list[dict] = ()) -> str:
    per_image = [[r["image"], Path(r["model"]).name, r.get("backend", "-"), r["role"]] + [_fmt(r.get(m.key), m.metric.digits) for m in MEASURES]
                 + ["skipped" if r.get("skipped") else "yes" if r["finite"] else "NO"] for r in images]
    return ("# Validation report\n\n" + render_table(aggregates, "github", skipped)
            + "\n\n## Per image\n\n"
            + safe_table(per_image, headers=["image", "model", "backend", "role", *[m.header for m in MEASURES], "finite"],
                       tablefmt="github", disable_numparse=True) + "\n")


def failure_reason(aggregate: dict) -> str:
    if aggregate["non_finite_outputs"]:
        return f"{aggregate['non_finite_outputs']} non-finite outputs"
    if aggregate[DRIFT.key]["mean"] is None:
        return f"no frame it could run ({aggregate.get('skipped_frames', 0)} outside the shapes it was built for)"
    return f"mean {DRIFT.header} {aggregate[DRIFT.key]['mean']:.4f} > budget {aggregate['budget']}"
