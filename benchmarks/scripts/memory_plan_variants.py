"""The memory plan's estimate (engines/memory_plan.py) for each model variant, beside what ONNX Runtime holds.

usage: python benchmarks/scripts/memory_plan_variants.py FOLDER  (a folder of the demo's ONNX files, e.g.
work/export/demo after `make demo`)

For each network graph: the peak live activation bytes per packed pixel the plan estimates and how (shape inference,
or ONNX Runtime measuring the tensors at 64x64 where inference cannot size them), the Sony full frame's estimate
(1424x2128 packed), and the peak resident memory of a fresh process that runs that frame once with ONNX Runtime
(default session options), less the same process's resident memory after loading the session.
"""

import json
import subprocess
import sys
from pathlib import Path

FULL = (1424, 2128)
CHILD = """
import json, resource, sys, numpy as np, onnxruntime as ort
def rss(): return int(next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmRSS:'))) * 1024
s = ort.InferenceSession(sys.argv[1], providers=["CPUExecutionProvider"])
loaded = rss()
x = np.random.default_rng(0).random((1, 4, %d, %d), dtype=np.float32) * 0.2
s.run(None, {s.get_inputs()[0].name: x})
print(json.dumps({"loaded_mib": loaded / 2**20, "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
""" % FULL


def main(folder: Path) -> None:
    from lowlight_edge.engines import memory_plan

    print("| model | bytes / packed pixel | sized by | full frame estimate (MiB) | ONNX Runtime peak above the loaded "
          "session (MiB) |")
    print("| --- | --- | --- | --- | --- |")
    for path in sorted(folder.glob("*.onnx")):
        if ".pipeline." in path.name:
            continue
        per_pixel = memory_plan.activation_bytes_per_pixel(path)
        model = memory_plan.validate_onnx_file(path)
        for dim, value in zip(model.graph.input[0].type.tensor_type.shape.dim, (1, 4, 64, 64)):
            dim.Clear()
            dim.dim_value = value
        del model.graph.value_info[:]
        how = "shape inference" if memory_plan._inferred_tensors(model) is not None else "ONNX Runtime at 64x64"
        run = json.loads(subprocess.run([sys.executable, "-c", CHILD, str(path)], capture_output=True, text=True,
                                        check=True).stdout)
        print(f"| {path.name} | {per_pixel:.1f} | {how} | {per_pixel * FULL[0] * FULL[1] / 2**20:.0f} | "
              f"{run['peak_mib'] - run['loaded_mib']:.0f} |")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
