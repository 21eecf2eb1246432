#!/usr/bin/env bash
# GPU checks that need no TensorRT: the CUDA tests (torch-cuda views, the CUDA buffer layer TrtRunner uses),
# and the latency matrix of PyTorch CPU/CUDA and ONNX Runtime on this machine at 512x512 and the Sony full
# frame, with the end-to-end stage breakdown on a synthetic full-size DNG, peak memory and plots.
# Usage: bash benchmarks/scripts/gpu-torch-cuda.sh [OUTDIR]   (PY=python3 by default; the package on PYTHONPATH)
# Recorded run: benchmarks/results/2026-11-27-h200-torch-cuda/.
set -uo pipefail
PY=${PY:-python3}
OUTDIR=${1:-work/results/$(hostname)/torch-cuda}
W=work/export/gpu
mkdir -p "$W" "$OUTDIR"
LE="$PY -m lowlight_edge"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv
$PY -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda, torch.cuda.get_device_name(0))"
$PY -m pytest -q -p no:cacheprovider -m gpu tests/test_trt_gpu.py 2>&1 | tail -15
$PY -c "from pathlib import Path; from lowlight_edge.demo.job import full_frame_raw; from lowlight_edge.bench.shapes import SONY_RAW_SIZE; \
print(full_frame_raw(Path('$W/fullframe'), SONY_RAW_SIZE))" > "$W/raw.txt"
$LE export lowlight_edge/weights/default.safetensors -o "$W/default.fp32.onnx" --force 2>&1 | tail -1
$LE bench lowlight_edge/weights/default.safetensors "$W/default.fp32.onnx" --backend torch-cpu --backend torch-cuda \
    --backend ort-cpu --backend ort-cuda --shape 512x512 --shape 1424x2128 --warmup 3 --runs 10 \
    --raw "$(cat "$W/raw.txt")" --memory --no-progress --json "$OUTDIR/gpu-bench.json" \
    --markdown "$OUTDIR/gpu-bench.md" --plots "$OUTDIR" --force
