#!/usr/bin/env bash
# The whole-frame pipeline graph against the host path on the CPU, bundled model, Sony full frame (RAW 2848x4256 as
# an uncompressed DNG -> 8-bit PNG): stage tables of both forms, FP32 and INT8 (cpu target), ONNX Runtime and
# OpenVINO, all in one bench process, the pipeline graphs in their cpu form; the pipeline graph's own pre/post cost
# (its compute view minus the network's, same frame, same process) and, from the runtimes' per-node profiles, its
# pre/post nodes in both forms (tensorrt, cpu) and, when REV is given, as wrapped at git revision REV; decoding with
# tifffile against LibRaw; `enhance` throughput over a folder of eight full frames against 1 / (the model's time
# per frame), at PNG levels 1 (default) and 0. The frames are shot by SID's camera (Sony ILCE-7S) in daylight, and the
# per-node profiles price the same network wrapped as a camera and as a neutral (colour-converting) pipeline.
# Usage (after `make venv`): bash benchmarks/scripts/cpu-pipeline.sh [OUTDIR] [REV]
set -euo pipefail
LE=.venv/bin/lowlight-edge
PY=.venv/bin/python
export LOWLIGHT_EDGE_CACHE=${LOWLIGHT_EDGE_CACHE:-$PWD/.cache/lowlight-edge}
OUT=${1:-work/results/$(hostname)/pipeline}
BEFORE=${2:+--before $2}
W=work/export/pipeline
F=work/frames/pipeline-fullframes
mkdir -p "$W" "$OUT" "$F"
M=lowlight_edge/weights/default.safetensors
$LE export $M -o $W/default.fp32.onnx --force > $OUT/wrap.txt 2>&1
$LE quantize int8 $W/default.fp32.onnx -o $W/default.int8-cpu.onnx --target cpu --calib synthetic:16 --force \
    >> $OUT/wrap.txt 2>&1
for v in fp32 int8-cpu; do $LE pipeline $W/default.$v.onnx --target cpu --force >> $OUT/wrap.txt 2>&1; done
# eight full frames of the held-out photographs through the sensor model (every CFA phase twice)
$PY - "$F" <<'PY'
import sys
from pathlib import Path
from skimage.transform import resize
from lowlight_edge.raw.scenes import HELD_OUT_IMAGES, load_image
from lowlight_edge.raw.synth_frames import write_frames
images = {f"{name}-{i}": resize(load_image(name), (2848, 4256, 3), order=1, anti_aliasing=False).astype("float32")
          for i, name in enumerate(HELD_OUT_IMAGES * 4)}
for frame in write_frames(Path(sys.argv[1]), images, force=True, shots=(("sony-ilce-7s", "D65"),)):
    frame.truth.unlink()  # only the DNGs: the folder is enhance's input
PY
RAW=$(ls $F/*.dng | head -1)
$LE bench $W/default.fp32.onnx $W/default.fp32.pipeline.onnx $W/default.int8-cpu.onnx $W/default.int8-cpu.pipeline.onnx \
    --backend ort-cpu --backend ov-cpu --shape 1424x2128 --view compute --raw "$RAW" --png --warmup 1 --runs 5 \
    --no-progress --json $OUT/speed.json --markdown $OUT/speed.md --force | tee $OUT/speed.txt
$PY - "$RAW" <<'PY' | tee $OUT/decode.txt
import statistics, sys, time
from pathlib import Path
from lowlight_edge.raw.dng_plain import read_plain_dng
from lowlight_edge.raw.reader import _frame_from, open_raw
path = Path(sys.argv[1])
def libraw(p):
    with open_raw(p) as raw:
        return _frame_from(raw, p)
for name, read in (("tifffile (plain DNG)", read_plain_dng), ("LibRaw", libraw)):
    times = []
    for _ in range(11):
        start = time.perf_counter(); read(path); times.append((time.perf_counter() - start) * 1000)
    print(f"{name}: median {statistics.median(times[1:]):.1f} ms over 10 reads of {path.name}")
PY
rm -f $OUT/prepost.txt
for v in fp32 int8-cpu; do
  $PY benchmarks/scripts/pipeline_nodes.py $W/default.$v.onnx --dng "$RAW" $BEFORE --conventions camera neutral 2>&1 \
      | grep -v -i "removing initializer\|merging shape" | tee -a $OUT/prepost.txt
done
rm -f $OUT/throughput.txt
for level in 1 0; do
  for model in default.int8-cpu default.int8-cpu.pipeline; do
    for backend in ort-cpu ov-cpu; do
      rm -rf work/enhanced/pipeline-bench
      $LE enhance $F -o work/enhanced/pipeline-bench --model $W/$model.onnx --backend $backend --png-level $level \
          --force 2>&1 | tr '\r' '\n' | grep "images/s" | sed "s|^|$model on $backend (png level $level): |" \
          | tee -a $OUT/throughput.txt
    done
  done
done
$PY benchmarks/scripts/pipeline_summary.py $OUT | tee $OUT/summary.md
