#!/usr/bin/env bash
# The GPU smoke run (`make test-gpu`): GPU tests with skips as failures, FP16 and INT8 engines of the bundled
# model, their drift against the FP32 ONNX, and latency against PyTorch CUDA and ONNX Runtime.
# Results go to work/results/<host>/gpu (or OUTDIR), engines to work/engines/<host>/. Needs TensorRT 10.3+ (or
# 11.x), pycuda or cuda-python, a GPU. Usage: bash benchmarks/scripts/gpu-tensorrt.sh [OUTDIR]
set -euo pipefail
LE=.venv/bin/lowlight-edge
export LOWLIGHT_EDGE_CACHE=${LOWLIGHT_EDGE_CACHE:-$PWD/.cache/lowlight-edge}  # where `make test`/`make demo` put the LPIPS weights
$LE weights fetch  # a no-op when they are there
HOST=$(hostname)
OUT=${1:-work/results/$HOST/gpu}
X=work/export/gpu
W=work/engines/$HOST
mkdir -p "$OUT" "$X" "$W"
.venv/bin/python -m pytest -q -m "gpu or tensorrt" --require-gpu tests/test_trt_gpu.py
$LE export lowlight_edge/weights/default.safetensors -o $X/default.fp32.onnx --force
$LE quantize fp16 $X/default.fp32.onnx -o $X/default.fp16.onnx --force
$LE quantize int8 $X/default.fp32.onnx -o $X/default.int8.onnx --calib synthetic:16 --lpips-budget 0.01 --force
for p in fp32 fp16 int8; do $LE build $X/default.$p.onnx -o $W/default.$p.engine --force; done
$LE validate --reference $X/default.fp32.onnx --candidate $W/default.fp16.engine --candidate $W/default.int8.engine \
    --synthetic 8 --json $OUT/gpu-drift.json --markdown $OUT/gpu-drift.md --force
$LE bench lowlight_edge/weights/default.safetensors --backend torch-cuda --shape 512x512 --shape 1424x2128 \
    --json $OUT/gpu-bench-torch.json --force
$LE bench $X/default.fp32.onnx --backend ort-cuda --shape 512x512 --shape 1424x2128 --json $OUT/gpu-bench-ort.json --force || true
$LE bench $W/default.fp32.engine $W/default.fp16.engine $W/default.int8.engine --shape 512x512 --shape 1424x2128 \
    --json $OUT/gpu-bench-trt.json --force
echo "GPU results in $OUT"
