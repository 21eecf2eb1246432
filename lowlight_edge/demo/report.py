"""The demo's report: report.md (tune's choice, tables, plots, image grids), demo.json (everything,
machine-readable), bench.csv, latency.png and stages.png, and the verdict lines printed last."""

import json
from datetime import datetime, timezone
from pathlib import Path

from lowlight_edge.bench.plots import write_plots
from lowlight_edge.bench.records import TARGET_S, BenchRecord, to_document
from lowlight_edge.bench.table import environment_lines, render, render_csv
from lowlight_edge.fileio.atomic import write_text
from lowlight_edge.fileio.json_safe import json_safe
from lowlight_edge.metrics.drift_report import render_table
from lowlight_edge.tune.result import headline, tune_document, tune_table


def best_rows(records: list[BenchRecord]) -> dict[tuple, BenchRecord]:
    """Fastest per-image row that ran, per packed shape, among the model-view rows (numpy in, numpy out)."""
    best: dict[tuple, BenchRecord] = {}
    for r in records:
        if not r.ran or r.mode != "model" or r.max_tile:
            continue
        key = tuple(r.shape[2:])
        if key not in best or r.stats["median_ms"] / r.shape[0] < best[key].stats["median_ms"] / best[key].shape[0]:
            best[key] = r
    return best


def verdict(records: list[BenchRecord], drift: list[dict], quality: dict, report: Path, tuned=None) -> list[str]:
    lines = [f"tune: {headline(tuned)}"] if tuned is not None else []
    choice = tuned.choice if tuned is not None else None
    for (h, w), r in sorted(best_rows(records).items()):
        per_image = r.stats["median_ms"] / r.shape[0]
        apart = choice is not None and (Path(choice.model).name, choice.backend) != (Path(r.model).name, r.backend)
        note = "; speed alone, tune's choice holds the budget" if apart else ""
        lines.append(f"latency {h}x{w} (packed): fastest {Path(r.model).name} on {r.backend}, {per_image:.1f} ms per image, "
                     f"{'MEETS' if per_image <= TARGET_S * 1000 else 'misses'} the {TARGET_S:.2f} s target"
                     + (f" ({r.speedup_vs_torch:.2f}x PyTorch eager FP32{note})" if r.speedup_vs_torch else
                        (f" ({note[2:]})" if note else "")))
    candidates = [d for d in drift if d["role"] == "candidate"]
    failed = [d for d in candidates if not d["passed"]]
    parts = ", ".join(f"{Path(d['model']).name} ({d['backend']}) {d['lpips_drift']['mean']:.4f}/{d['budget']}"
                      for d in candidates)
    lines.append(f"drift budgets (mean LPIPS vs FP32 / budget): {'all met' if not failed else f'{len(failed)} FAILED'}: {parts}")
    lines.append(f"quality: model {quality['mean_model_psnr']:.2f} dB vs naive pipeline {quality['mean_naive_psnr']:.2f} dB "
                 f"PSNR on {len(quality['frames'])} held-out frames")
    return lines + [f"report: {report}"]


def _shots_note(quality: dict) -> str:
    """Which camera responses made the frames, and how the model was fed them."""
    shots = sorted({f"{f.get('camera', 'identity')} under {f.get('light', 'D65')}" for f in quality["frames"]})
    convention = quality["frames"][0].get("input_convention", "camera") if quality["frames"] else "camera"
    how = ("white-balanced and converted to linear sRGB with each DNG's own colour tags (a neutral model)"
           if convention == "neutral" else "as the sensor recorded them (a camera-convention model)")
    return (f"Frames shot with the colour responses of {', '.join(shots)} (raw/cameras.py: published matrices, "
            f"cameras the bundled model never trained on), written as those cameras' DNGs; the model saw them {how}."
            "\n\n")


def _quality_table(quality: dict) -> str:
    from tabulate import tabulate

    rows = [[f["frame"], f"{f.get('camera', 'identity')} under {f.get('light', 'D65')}", f["phase"], f"{f['ratio']:g}",
             f"{f['model_psnr']:.2f}", f"{f['model_ssim']:.3f}", f"{f['naive_psnr']:.2f}", f"{f['naive_ssim']:.3f}"]
            for f in quality["frames"]]
    return tabulate(rows, headers=["frame", "camera response", "CFA", "ratio", "model PSNR", "model SSIM", "naive PSNR",
                                   "naive SSIM"], tablefmt="github", disable_numparse=True)


def _markdown(records, env, drift, quality, overhead, variants, plots: list[Path], grids: list[Path],
              findings: list[str], tuned) -> str:
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    sections = [
        f"# lowlight-edge demo: {env.get('host', '?')}\n\n{when}. Model: `{variants.checkpoint}`.\n",
        "## Verdict\n\n" + "\n".join(f"- {line}" for line in findings),
        "## Machine\n\n" + "\n".join(environment_lines(env)),
        _tune_section(tuned),
        "## Latency matrix\n\nMedian per call; `view` model = numpy in/out, compute = network alone on inputs in "
        "place; `vs torch` = speedup over PyTorch eager FP32 on the same checkpoint in this run; peak MiB = peak "
        "resident memory of a fresh process doing one such call.\n\n" + render(records, "github"),
        f"Harness overhead against a bare `session.run` loop ({Path(overhead['model']).name}, packed "
        f"{overhead['shape'][2]}x{overhead['shape'][3]}): {overhead['overhead_pct']:+.2f}% (bare "
        f"{overhead['bare_median_ms']:.1f} ms, harness {overhead['harness_median_ms']:.1f} ms).",
        "## Plots\n\n" + "\n\n".join(f"![{p.stem}]({p.name})" for p in plots),
        "## Accuracy after quantization (against the FP32 ONNX model, and against ground truth)\n\n" + render_table(drift, "github"),
        "## Enhancement quality (FP32 ONNX vs the naive pipeline, against ground truth)\n\n" + _shots_note(quality)
        + _quality_table(quality),
    ]
    if grids:
        sections.append("## Image grids (input, reference, candidate, |difference|, LPIPS map)\n\n"
                        + "\n\n".join(f"![{g.stem}](grids/{g.name})" for g in grids))
    if variants.engine_skip:
        sections.append(f"TensorRT engines were skipped: {variants.engine_skip}.")
    return "\n\n".join(sections) + "\n"


def _tune_section(tuned) -> str:
    """tune's table (tune/result.py) under the demo's own heading: the variant to deploy on this machine."""
    rule = ("Every row of the variant table this machine runs, validated against FP32 with tune's rule (mean LPIPS "
            "drift plus two standard errors over held-out frames in which every ratio meets every held-out camera and "
            "light), timed in the latency matrix below; `lowlight-edge enhance --model tune.json` deploys the "
            "choice.\n\n")
    return f"## Tune: the variant to deploy on this machine\n\n{rule}{headline(tuned)}\n\n{tune_table(tuned)}\n"


def write_outputs(folder: Path, records: list[BenchRecord], env: dict, drift: list[dict], quality: dict, overhead: dict,
                  variants, tuned) -> dict[str, Path]:
    folder = Path(folder)
    plots = write_plots(records, folder)
    grids = sorted((folder / "grids").glob("*.png"))
    files = {"report": folder / "report.md", "json": folder / "demo.json", "csv": folder / "bench.csv"}
    findings = verdict(records, drift, quality, files["report"], tuned)[:-1]  # the last only says where the report is
    document = to_document(records, env, overhead=overhead)
    # the bench schema, so `lowlight-edge report` merges demo.json files from several devices directly
    document.update(kind="demo", drift=drift, enhance=quality,
                    variants={"onnx": {k: str(v) for k, v in variants.onnx.items()},
                              "engines": {k: str(v) for k, v in variants.engines.items()},
                              "engine_skip": variants.engine_skip},
                    tune={k: v for k, v in tune_document(tuned).items() if k != "environment"},  # it is beside
                    verdict=findings)
    write_text(files["json"], json.dumps(json_safe(document), indent=2) + "\n", force=True)
    write_text(files["csv"], render_csv(records), force=True)
    write_text(files["report"], _markdown(records, env, drift, quality, overhead, variants, plots, grids, findings,
                                          tuned), force=True)
    return files

