#!/usr/bin/env bash
# Speed and drift of FP32, FP16 and both INT8 targets of the bundled default model, on this machine.
# Usage (from the repository root, after `make venv`): bash benchmarks/scripts/int8-precision.sh [OUTDIR]
# Models go to work/export/int8/; results to OUTDIR (default work/results/<host>/int8). Recorded run:
# benchmarks/results/2026-11-27-cpu2core-int8/.
set -euo pipefail
LE=.venv/bin/lowlight-edge
export LOWLIGHT_EDGE_CACHE=${LOWLIGHT_EDGE_CACHE:-$PWD/.cache/lowlight-edge}  # where `make test`/`make demo` put the LPIPS weights
$LE weights fetch  # a no-op when they are there
OUT=${1:-work/results/$(hostname)/int8}
W=work/export/int8
mkdir -p "$W" "$OUT"
$LE export lowlight_edge/weights/default.safetensors -o $W/default.fp32.onnx --force
$LE quantize fp16 $W/default.fp32.onnx -o $W/default.fp16.onnx --calib synthetic:16 --force
$LE quantize int8 $W/default.fp32.onnx -o $W/default.int8-trt.onnx --target tensorrt --calib synthetic:16 --force
$LE quantize int8 $W/default.fp32.onnx -o $W/default.int8-cpu.onnx --target cpu --calib synthetic:16 --force
for m in fp16 int8-trt int8-cpu; do $LE check $W/default.$m.onnx --target tensorrt > $OUT/check-$m.txt 2>&1 || true; done
$LE validate --reference $W/default.fp32.onnx --candidate $W/default.fp16.onnx --candidate $W/default.int8-trt.onnx \
    --candidate $W/default.int8-cpu.onnx --synthetic 8 --json $OUT/drift.json --markdown $OUT/drift.md --force \
    | tee $OUT/drift.txt || true
$LE bench $W/default.fp32.onnx $W/default.fp16.onnx $W/default.int8-trt.onnx $W/default.int8-cpu.onnx \
    --shape 1424x2128 --warmup 1 --runs 7 --no-progress --json $OUT/speed-fullframe.json --force | tee $OUT/speed-fullframe.txt
