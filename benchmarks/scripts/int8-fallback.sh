#!/usr/bin/env bash
# INT8 with sensitivity-driven fallback to the default LPIPS budget (0.01), both targets, then drift and speed.
# Usage (after int8-precision.sh): bash benchmarks/scripts/int8-fallback.sh [OUTDIR]   (TARGETS="cpu" for one)
# Recorded run: benchmarks/results/2026-11-27-cpu2core-int8/ (fallback-*, sensitivity-*, *-fallback*).
set -euo pipefail
LE=.venv/bin/lowlight-edge
export LOWLIGHT_EDGE_CACHE=${LOWLIGHT_EDGE_CACHE:-$PWD/.cache/lowlight-edge}  # where `make test`/`make demo` put the LPIPS weights
$LE weights fetch  # a no-op when they are there
OUT=${1:-work/results/$(hostname)/int8}
W=work/export/int8
mkdir -p "$OUT"
for target in ${TARGETS:-cpu tensorrt}; do
  $LE quantize int8 $W/default.fp32.onnx -o $W/default.int8-$target-fallback.onnx --target $target --method percentile \
      --calib synthetic:16 --lpips-budget 0.01 --holdout 2 --force > $OUT/fallback-$target.txt 2>&1 || true
  cp $W/default.int8-$target-fallback.sensitivity.md $OUT/sensitivity-$target.md
done
$LE check $W/default.int8-tensorrt-fallback.onnx --target tensorrt > $OUT/check-int8-tensorrt-fallback.txt 2>&1 || true
$LE validate --reference $W/default.fp32.onnx --candidate $W/default.int8-cpu-fallback.onnx \
    --candidate $W/default.int8-tensorrt-fallback.onnx --synthetic 8 --json $OUT/drift-fallback.json \
    --markdown $OUT/drift-fallback.md --force > $OUT/drift-fallback.txt 2>&1 || true
$LE bench $W/default.fp32.onnx $W/default.int8-cpu.onnx $W/default.int8-cpu-fallback.onnx --shape 1424x2128 \
    --warmup 1 --runs 7 --no-progress --json $OUT/speed-fallback.json --force > $OUT/speed-fallback.txt 2>&1
# the repeat recorded as speed-fallback-repeat.*: the within-budget model against FP32 again, 10 runs
$LE bench $W/default.fp32.onnx $W/default.int8-cpu-fallback.onnx --shape 1424x2128 --warmup 2 --runs 10 \
    --no-progress --json $OUT/speed-fallback-repeat.json --force > $OUT/speed-fallback-repeat.txt 2>&1
