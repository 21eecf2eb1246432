"""Merge benchmark results from several devices into one table: rows are (model, precision, backend, mode,
shape), columns are devices, cells are median latency in ms (the usual need: the same model on an Orin,
an Orin Nano and a desktop GPU)."""

from pathlib import Path

from lowlight_edge.bench.records import TARGET_S, load_document
from lowlight_edge.fileio.terminal import printable, safe_table


def device_label(environment: dict) -> str:
    gpu = environment.get("gpu")
    return f"{environment.get('host', '?')} ({gpu or environment.get('cpu', '?')})"


def merge(paths: list[Path]) -> str:
    columns: list[str] = []
    cells: dict[tuple, dict[str, float]] = {}
    for path in paths:
        doc = load_document(path)
        label = device_label(doc.get("environment", {}))
        while label in columns:  # two files from one host: keep both columns
            label += "'"
        columns.append(label)
        for r in doc["records"]:
            n, _, h, w = r["shape"]
            key = (Path(r["model"]).name, r["precision"], r["backend"], r.get("mode", "model"), f"{n}x{h}x{w}")
            cells.setdefault(key, {})[label] = "skipped" if r.get("skipped") else r["stats"]["median_ms"] / n
    rows = []
    for key in sorted(cells):
        row = list(key)
        for column in columns:
            value = cells[key].get(column)
            if isinstance(value, float):
                row.append(f"{value:.1f}" + (" *" if value <= TARGET_S * 1000 else ""))
            else:
                row.append(value or "-")
        rows.append(row)
    table = safe_table(rows, headers=["model", "precision", "backend", "mode", "packed NxHxW", *columns],
                     tablefmt="github", disable_numparse=True)
    sources = "\n".join(f"- {printable(c)}: `{printable(str(p))}`" for c, p in zip(columns, paths))
    return (f"# Latency across devices\n\nMedian milliseconds per image; `*` meets the {TARGET_S:.2f} s per-image "
            f"target; `skipped`: could not run on that device (the result file says why); `-` not measured there."
            f"\n\n{table}\n\nSources:\n{sources}\n")
