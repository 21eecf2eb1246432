#!/usr/bin/env bash
# The GPU smoke run (`make test-gpu`): GPU tests with skips as failures, FP32/FP16/INT8 engines of the bundled model
# and FP16/INT8 pipeline engines (RAW mosaic in, pixels out), their drift against the ONNX they came from, and latency
# against PyTorch CUDA and ONNX Runtime.
# Results go to work/results/<host>/gpu (or OUTDIR), engines to work/engines/<host>/. Needs TensorRT 10.3+ (or
# 11.x), pycuda or cuda-python, a GPU. Usage: bash benchmarks/scripts/gpu-tensorrt.sh [OUTDIR]
# GPU_TEST_MARKERS (default "gpu or tensorrt") picks the GPU tests, CALIB_FRAMES (16) the INT8 calibration frames,
# BENCH_SHAPES ("512x512 1424x2128") the timed packed shapes: tests/test_gpu_script.py runs this script under the
# TensorRT stand-in with "tensorrt", 4 and "256x256", where PyTorch has no CUDA device and the CPU computes.
set -euo pipefail
LE=.venv/bin/lowlight-edge
export LOWLIGHT_EDGE_CACHE=${LOWLIGHT_EDGE_CACHE:-$PWD/.cache/lowlight-edge}  # where `make test`/`make demo` put the LPIPS weights
$LE weights fetch  # a no-op when they are there
HOST=$(hostname)
OUT=${1:-work/results/$HOST/gpu}
X=work/export/gpu
W=work/engines/$HOST
mkdir -p "$OUT" "$X" "$W"
SHAPES=()
for s in ${BENCH_SHAPES:-512x512 1424x2128}; do SHAPES+=(--shape "$s"); done
.venv/bin/python -m pytest -q -m "${GPU_TEST_MARKERS:-gpu or tensorrt}" --require-gpu tests/test_trt_gpu.py
$LE export lowlight_edge/weights/default.safetensors -o $X/default.fp32.onnx --force
$LE quantize fp16 $X/default.fp32.onnx -o $X/default.fp16.onnx --force
$LE quantize int8 $X/default.fp32.onnx -o $X/default.int8.onnx --calib synthetic:${CALIB_FRAMES:-16} --lpips-budget 0.01 --force
# one profile from the validation frames (--synthetic packs to about 160x240 and 208x304) to the Sony full frame
PROFILE=(--min-shape 128x128 --opt-shape 1424x2128 --max-shape 1424x2128)
for p in fp32 fp16 int8; do $LE build $X/default.$p.onnx -o $W/default.$p.engine "${PROFILE[@]}" --force; done
$LE validate --reference $X/default.fp32.onnx --candidate $W/default.fp16.engine --candidate $W/default.int8.engine \
    --synthetic 8 --json $OUT/gpu-drift.json --markdown $OUT/gpu-drift.md --force
# pipeline engines: the uint8 casts, the Gather on the cfa input and the reflect Pad through TensorRT's parser, each
# compared with ONNX Runtime running the same graph (the GPU tests compare them pixel by pixel too)
for p in fp16 int8; do
    $LE pipeline $X/default.$p.onnx -o $X/default.$p.pipeline.onnx --target tensorrt --force
    $LE build $X/default.$p.pipeline.onnx -o $W/default.$p.pipeline.engine "${PROFILE[@]}" --force
    $LE validate --reference $X/default.$p.pipeline.onnx --candidate $W/default.$p.pipeline.engine --synthetic 4 \
        --budget 0.002 --json $OUT/gpu-pipeline-$p-drift.json --force
done
# the baselines: a missing one is reported and the TensorRT timing still runs (the GPU tests above already fail a
# device run where PyTorch sees no CUDA)
$LE bench lowlight_edge/weights/default.safetensors --backend torch-cuda "${SHAPES[@]}" \
    --json $OUT/gpu-bench-torch.json --force || echo "gpu-tensorrt: no PyTorch CUDA baseline (above)"
$LE bench $X/default.fp32.onnx --backend ort-cuda "${SHAPES[@]}" --json $OUT/gpu-bench-ort.json --force \
    || echo "gpu-tensorrt: no ONNX Runtime CUDA baseline (above)"
$LE bench $W/default.fp32.engine $W/default.fp16.engine $W/default.int8.engine "${SHAPES[@]}" \
    --json $OUT/gpu-bench-trt.json --force
echo "GPU results in $OUT"
