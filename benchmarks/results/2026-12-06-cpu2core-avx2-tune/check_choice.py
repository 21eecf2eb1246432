"""Does tune's choice hold on frames it never saw? Drift of the chosen file on its chosen backend against the FP32
ONNX on new held-out frames: the same coverage as tune's (every ratio with every held-out camera and light), another
noise seed and the photographs paired the other way. Usage: python check_choice.py TUNE_JSON [FRAMES]
(The first two rules' records used an earlier version of this script: the plain synthetic source, reversed order.)"""

import json
import sys
from pathlib import Path

from lowlight_edge.engines.select import open_runner
from lowlight_edge.metrics.drift import run_drift
from lowlight_edge.metrics.lpips_backend import load_lpips
from lowlight_edge.raw.scenes import HELD_OUT_IMAGES
from lowlight_edge.tune.job import covering_samples

doc = json.loads(Path(sys.argv[1]).read_text())
count = int(sys.argv[2]) if len(sys.argv) > 2 else 18
choice = doc["choice"]
reference = next(r["model"] for r in doc["rows"] if r["variant"] == "fp32" and r["backend"] == "ort-cpu")
with open_runner(Path(reference)) as ref, open_runner(Path(choice["model"]), choice["backend"]) as chosen:
    samples, _ = covering_samples(count, ref.input_convention, seed=1234, names=tuple(reversed(HELD_OUT_IMAGES)))
    budgets = {"fp32": doc["budget"], chosen.precision: doc["budget"]}
    summaries, rows = run_drift(ref, [chosen], samples, load_lpips(), budgets)
drift = summaries[1].aggregate()["lpips_drift"]
for row in rows:
    if row["role"] == "candidate":
        print(f"  {row['image']}: {row['lpips_drift']:.4f}")
print(f"{choice['variant']} on {choice['backend']}: mean LPIPS drift {drift['mean']:.4f} (max {drift['max']:.4f}) on "
      f"{summaries[1].images} frames it never saw; budget {doc['budget']}: "
      f"{'met' if drift['mean'] <= doc['budget'] else 'MISSED'}")
