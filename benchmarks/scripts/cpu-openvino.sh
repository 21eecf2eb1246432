#!/usr/bin/env bash
# OpenVINO against ONNX Runtime and PyTorch on the CPU, bundled model: FP32, the tensorrt-target INT8 graph (the one
# Q/DQ graph for TensorRT and OpenVINO; with 8-bit and with 7-bit weights) and the cpu-target INT8 graph, each INT8
# held to LPIPS 0.01; every model on every CPU runtime in one process, then the drift of each INT8 graph under each
# runtime. OpenVINO refuses the 8-bit tensorrt-target graph on CPUs without VNNI (its rows say why).
# Usage (after `make venv`): bash benchmarks/scripts/cpu-openvino.sh [OUTDIR]
set -euo pipefail
LE=.venv/bin/lowlight-edge
export LOWLIGHT_EDGE_CACHE=${LOWLIGHT_EDGE_CACHE:-$PWD/.cache/lowlight-edge}  # where `make test`/`make demo` put the LPIPS weights
$LE weights fetch  # a no-op when they are there
OUT=${1:-work/results/$(hostname)/openvino}
W=work/export/openvino
mkdir -p "$W" "$OUT"
M=lowlight_edge/weights/default.safetensors
$LE export $M -o $W/default.fp32.onnx --force
for target in tensorrt cpu; do
  $LE quantize int8 $W/default.fp32.onnx -o $W/default.int8-$target.onnx --target $target --calib synthetic:16 \
      --lpips-budget 0.01 --force > $OUT/quantize-int8-$target.txt 2>&1
done
$LE quantize int8 $W/default.fp32.onnx -o $W/default.int8-tensorrt-w7.onnx --target tensorrt --weight-bits 7 \
    --calib synthetic:16 --lpips-budget 0.01 --force > $OUT/quantize-int8-tensorrt-w7.txt 2>&1
$LE bench $M $W/default.fp32.onnx $W/default.int8-tensorrt.onnx $W/default.int8-tensorrt-w7.onnx $W/default.int8-cpu.onnx \
    --backend torch-cpu --backend ort-cpu --backend ov-cpu --shape 512x512 --shape 1424x2128 --warmup 1 --runs 5 \
    --no-progress --json $OUT/speed.json --markdown $OUT/speed.md --force | tee $OUT/speed.txt
$LE validate --reference $W/default.fp32.onnx --candidate $W/default.int8-tensorrt.onnx \
    --candidate $W/default.int8-tensorrt-w7.onnx --candidate $W/default.int8-cpu.onnx --backend ort-cpu --backend ov-cpu --synthetic 8 \
    --json $OUT/drift.json --markdown $OUT/drift.md --force | tee $OUT/drift.txt
