#!/usr/bin/env bash
# PyTorch eager against ONNX Runtime on the CPU, untrained seeded generators of both widths (latency does not
# depend on the weights), a 512x512 tile and the Sony full frame.
# Usage (after `make venv`): bash benchmarks/scripts/cpu-ort-vs-torch.sh [OUTDIR]
# Recorded run: benchmarks/results/2026-11-27-cpu2core-ort-vs-torch/.
set -euo pipefail
LE=.venv/bin/lowlight-edge
OUT=${1:-work/results/$(hostname)/ort-vs-torch}
W=work/export/bench
mkdir -p "$W" "$OUT"
for width in default lite; do
  $LE init --width $width -o $W/$width.safetensors --force
  $LE export $W/$width.safetensors -o $W/$width.fp32.onnx --force
done
$LE bench $W/default.safetensors $W/default.fp32.onnx $W/lite.safetensors $W/lite.fp32.onnx \
    --shape 512x512 --shape 1424x2128 --warmup 1 --runs 5 --no-progress --json $OUT/cpu-2core-ort-vs-torch.json \
    --force | tee $OUT/cpu-2core-ort-vs-torch.txt
