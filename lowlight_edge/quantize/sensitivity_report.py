"""The INT8 sensitivity files beside a budgeted model: which layers stay float and why (JSON and Markdown)."""

import json
from pathlib import Path

from lowlight_edge.fileio.atomic import write_text
from lowlight_edge.fileio.terminal import safe_table
from lowlight_edge.quantize.int8 import Int8Report
from lowlight_edge.quantize.sensitivity import SensitivityResult, module_of

HEADERS = ["ONNX node", "PyTorch module", "LPIPS drift quantized alone", "precision"]


def sensitivity_rows(report: Int8Report, result: SensitivityResult) -> list[list[str]]:
    """One row per quantizable node, most sensitive first."""
    kept = set(report.excluded_nodes)
    nodes = sorted(set(report.quantized_nodes) | kept, key=lambda n: -result.sensitivity.get(n, 0.0))
    return [[n, module_of(n), f"{result.sensitivity[n]:.5f}" if n in result.sensitivity else "-",
             "float" if n in kept else "int8"] for n in nodes]


def sensitivity_table(report: Int8Report, result: SensitivityResult, fmt: str = "github") -> str:
    return safe_table(sensitivity_rows(report, result), headers=HEADERS, tablefmt=fmt, disable_numparse=True)


def sensitivity_summary(report: Int8Report, result: SensitivityResult) -> str:
    return (f"LPIPS drift on the selection frames: fully INT8 {result.full_drift:.4f}, final {result.final_drift:.4f}, "
            f"aiming at {result.target:.4g} for the budget {result.budget} ({'met' if result.met else 'NOT met'}); "
            f"{len(report.excluded_nodes)} layers kept in float")


def sensitivity_paths(output: Path) -> tuple[Path, Path]:
    output = Path(output)
    return output.with_suffix(".sensitivity.json"), output.with_suffix(".sensitivity.md")


def write_sensitivity(output: Path, report: Int8Report, result: SensitivityResult, force: bool = True) -> tuple[Path, Path]:
    """`MODEL.sensitivity.json` and `.md` beside the INT8 model."""
    json_path, md_path = sensitivity_paths(output)
    rows = sensitivity_rows(report, result)
    write_text(json_path, json.dumps({"budget": result.budget, "target": result.target, "full_drift": result.full_drift,
                                      "final_drift": result.final_drift, "met": result.met,
                                      "layers": [dict(zip(["node", "module", "sensitivity", "precision"], r))
                                                 for r in rows]}, indent=2) + "\n", force)
    write_text(md_path, f"# INT8 sensitivity\n\n{sensitivity_summary(report, result)}\n\n"
                        f"{sensitivity_table(report, result)}\n", force)
    return json_path, md_path
