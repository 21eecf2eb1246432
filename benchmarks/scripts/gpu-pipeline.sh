#!/usr/bin/env bash
# The whole-frame pipeline on a GPU without TensorRT: PyTorch CUDA as the pipeline engine's stand-in. The Sony full
# frame from an uncompressed DNG (read with tifffile) to an 8-bit image in host memory, stage by stage: the host path
# (FP32 network) against the pipeline module (pinned mosaic bytes in, packing, network, clip and 8-bit on the GPU,
# uint8 out), with the network in FP32 and in FP16; plus the network alone (compute view, CUDA events). Target of the
# pipeline issue: <= 25 ms end to end with the FP16 network.
# Usage: bash benchmarks/scripts/gpu-pipeline.sh [OUTDIR]   (PY=python3 by default; the package on PYTHONPATH;
# imagecodecs must be installed: carry its wheel where the machine has no registry)
set -uo pipefail
PY=${PY:-python3}
OUTDIR=${1:-work/results/$(hostname)/pipeline-gpu}
W=work/export/gpu
mkdir -p "$W" "$OUTDIR"
LE="$PY -m lowlight_edge"
M=lowlight_edge/weights/default.safetensors
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv | tee "$OUTDIR/device.txt"
$PY -m pytest -q -p no:cacheprovider tests/test_pipeline_graph.py 2>&1 | tail -3 | tee "$OUTDIR/tests.txt"
$PY -c "from pathlib import Path; from lowlight_edge.demo.job import full_frame_raw; from lowlight_edge.bench.shapes import SONY_RAW_SIZE; \
print(full_frame_raw(Path('$W/fullframe'), SONY_RAW_SIZE))" > "$W/raw.txt"
RAW=$(cat "$W/raw.txt")
for mode in "host-fp32:" "pipeline-fp32:--torch-pipeline" "pipeline-fp16:--torch-pipeline --torch-fp16"; do
  name=${mode%%:*}; flags=${mode#*:}
  # shellcheck disable=SC2086 - flags are words
  $LE bench $M --backend torch-cuda $flags --shape 1424x2128 --view compute --raw "$RAW" --warmup 5 --runs 30 \
      --no-progress --json "$OUTDIR/$name.json" --markdown "$OUTDIR/$name.md" --force | tee "$OUTDIR/$name.txt"
done
