"""Does tune's choice hold on frames it never saw? Drift of the chosen file on its chosen backend against the FP32
ONNX, on held-out photographs shot again with another noise seed and the held-out cameras under the other light
order (tune validated on 4 frames of seed 0). Usage: python check_choice.py TUNE_JSON [FRAMES]"""

import json
import sys
from pathlib import Path

from lowlight_edge.engines.select import open_runner
from lowlight_edge.metrics.drift import run_drift
from lowlight_edge.metrics.lpips_backend import load_lpips
from lowlight_edge.raw.cameras import HELD_OUT_CAMERAS, camera_shots
from lowlight_edge.raw.datasets import synthetic_samples
from lowlight_edge.raw.scenes import HELD_OUT_IMAGES

doc = json.loads(Path(sys.argv[1]).read_text())
count = int(sys.argv[2]) if len(sys.argv) > 2 else 6
choice = doc["choice"]
reference = next(r["model"] for r in doc["rows"] if r["variant"] == "fp32" and r["backend"] == "ort-cpu")
shots = tuple(reversed(camera_shots(HELD_OUT_CAMERAS)))
with open_runner(Path(reference)) as ref, open_runner(Path(choice["model"]), choice["backend"]) as chosen:
    samples = synthetic_samples(count, seed=1234, names=tuple(reversed(HELD_OUT_IMAGES)), convention=ref.input_convention,
                                shots=shots)
    summaries, _ = run_drift(ref, [chosen], samples, load_lpips(), {"fp32": doc["budget"], chosen.precision: doc["budget"]})
drift = summaries[1].aggregate()["lpips_drift"]
print(f"{choice['variant']} on {choice['backend']}: mean LPIPS drift {drift['mean']:.4f} (max {drift['max']:.4f}) on "
      f"{summaries[1].images} frames it never saw; budget {doc['budget']}: "
      f"{'met' if drift['mean'] <= doc['budget'] else 'MISSED'}")
