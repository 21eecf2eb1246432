"""`tune`'s result as a person and a machine read it (`tune.md`, `tune.json`), and the choice read back for
`enhance --model tune.json`.

The JSON names the chosen variant, its backend and the file to deploy; `read_choice` checks it as untrusted input
(schema, a regular file where it points, a backend the table has) before anything runs it.
"""

import json
from pathlib import Path

from lowlight_edge.engines.backends import NAMES
from lowlight_edge.errors import InputError
from lowlight_edge.fileio.atomic import write_text
from lowlight_edge.fileio.json_safe import json_safe
from lowlight_edge.fileio.limits import read_text_limited
from lowlight_edge.fileio.terminal import safe_table
from lowlight_edge.machine import environment
from lowlight_edge.tune.job import STANDARD_ERRORS, TuneResult

SCHEMA = "lowlight-edge.tune/1"


def tune_document(result: TuneResult, threads: int | None = None) -> dict:
    pick = lambda c: c.row() if c is not None else None  # noqa: E731 - local shorthand
    return json_safe({"schema": SCHEMA, "budget": result.budget, "standard_errors": STANDARD_ERRORS,
                      "shape": list(result.shape),
                      "raw": str(result.raw) if result.raw else None, "choice": pick(result.choice),
                      "closest": pick(result.closest), "rows": [c.row() for c in result.candidates],
                      "environment": environment.capture(threads)})


def tune_markdown(result: TuneResult) -> str:
    return f"# Tune\n\n{headline(result)}\n\n{tune_table(result)}\n"


def tune_table(result: TuneResult) -> str:
    """Every row: its drift, bound, latency and verdict (GitHub Markdown)."""
    where = f"end to end from {result.raw.name}" if result.raw else f"packed {result.shape[0]}x{result.shape[1]}"
    rows = [[c.variant, c.backend, Path(c.model).name, "-" if c.drift is None else f"{c.drift:.4f}",
             "-" if c.bound is None else f"{c.bound:.4f}", "-" if c.ms is None else f"{c.ms:.1f}", c.verdict]
            for c in result.candidates]
    return safe_table(rows, headers=["variant", "backend", "file", "LPIPS drift", f"+ {STANDARD_ERRORS:g} SE",
                                     f"median ms ({where})", "verdict"], tablefmt="github", disable_numparse=True)


def headline(result: TuneResult) -> str:
    limit = f"LPIPS drift + {STANDARD_ERRORS:g} standard errors <= {result.budget}"
    if result.choice is not None:
        c = result.choice
        return (f"Chosen: **{c.variant} on {c.backend}**, {c.ms:.1f} ms, drift {c.drift:.4f} ({limit}); deploy "
                f"`{c.model}`.")
    closest = result.closest
    near = f"; the closest is {closest.variant} on {closest.backend} (drift {closest.drift:.4f})" if closest else ""
    return f"No variant meets {limit} on this machine{near}."


def write_result(result: TuneResult, json_path: Path, markdown_path: Path, force: bool, threads=None) -> None:
    write_text(json_path, json.dumps(tune_document(result, threads), indent=2) + "\n", force)
    write_text(markdown_path, tune_markdown(result), force)


def read_choice(path: Path) -> tuple[Path, str]:
    """(model file, backend) of a tune result, for `enhance --model tune.json`; one line for anything else."""
    try:
        doc = json.loads(read_text_limited(Path(path), "tune result"))
    except (OSError, ValueError, RecursionError) as exc:
        raise InputError(f"{path}: not a readable tune result ({exc})") from exc
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        raise InputError(f"{path}: not a tune result (schema {SCHEMA} expected)")
    choice = doc.get("choice")
    if not isinstance(choice, dict):
        raise InputError(f"{path}: tune chose nothing (no variant met the budget); run tune with another --budget")
    model, backend = choice.get("model"), choice.get("backend")
    if not isinstance(model, str) or backend not in NAMES:
        raise InputError(f"{path}: its choice names no model or an unknown backend")
    model_path = Path(model) if Path(model).is_absolute() else Path(path).parent / model
    if not model_path.is_file():
        model_path = Path(model)  # relative to where tune ran
    if not model_path.is_file():
        raise InputError(f"{path}: the chosen model {model} is not a file (moved or deleted?); run tune again")
    return model_path, backend
