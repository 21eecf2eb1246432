#!/usr/bin/env bash
# Train the bundled model on a GPU (issue #18), in one device call of under 10 minutes: a 40-step smoke run of the
# CUDA path first (patches made on the GPU, the LPIPS term, held-out evaluation, card and grid), then the run proper,
# stopped by --time-limit if it is slower than planned. FP32: the issue measured bf16 autocast no faster at this size.
#
# On a machine without a registry (the lent H100/H200): carry the wheels its image lacks and the LPIPS weights, e.g.
#   here:   python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
#             --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 -d .whl rawpy imagecodecs pypng
#           (`echo /.whl/ >> .git/info/exclude` first; `make test` has put the LPIPS weights in .cache/lowlight-edge)
#   device: run with carry [".whl", ".cache/lowlight-edge/lpips_alex_v0.1.safetensors"] and the command
#           python3 -m pip install -q --no-index --no-deps --target /tmp/site .whl/*.whl && PYTHONPATH=/tmp/site \
#             bash benchmarks/scripts/gpu-train.sh $OUT
# What comes back (7 files): device.txt, smoke.txt, train.log and the checkpoint with its report (.json), model card
# (.md) and held-out grid (.png). To bundle it: copy default.safetensors, default.png to lowlight_edge/weights/,
# default.json to lowlight_edge/weights/training_report.json, default.md to lowlight_edge/weights/MODEL_CARD.md, and
# keep device.txt, train.log and a NOTE under benchmarks/results/; `make test` re-measures it on the CPU.
# Usage: bash benchmarks/scripts/gpu-train.sh [OUTDIR]   (PY, STEPS, MINUTES, BATCH, PATCH, LPIPS_WEIGHT,
# ADV_WEIGHT override;
# DEVICE=cpu with tiny STEPS/BATCH/PATCH checks the script's plumbing on a machine without a GPU)
set -uo pipefail
PY=${PY:-python3}
OUT=${1:-work/results/$(hostname)/train-gpu}
STEPS=${STEPS:-10000}       # ~35 ms a step planned at batch 64 of 128x128 with the LPIPS term: ~6 minutes
MINUTES=${MINUTES:-6.5}     # the safety stop (the cosine schedule then ends early)
BATCH=${BATCH:-64}
PATCH=${PATCH:-128}
LPIPS_WEIGHT=${LPIPS_WEIGHT:-0.2}
ADV_WEIGHT=${ADV_WEIGHT:-0}    # the bundled recipe: off (benchmarks/results/2026-11-28-cpu2core-train-adv0-probe/)
DEVICE=${DEVICE:-cuda}
export LOWLIGHT_EDGE_CACHE=${LOWLIGHT_EDGE_CACHE:-$PWD/.cache/lowlight-edge}
export PYTHONUNBUFFERED=1
mkdir -p "$OUT"
LE="$PY -m lowlight_edge"
{ nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv || echo "no nvidia-smi"; } | tee "$OUT/device.txt"
$PY -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda)" | tee -a "$OUT/device.txt"
SMOKE=$(mktemp -d)
$LE train -o "$SMOKE/smoke.safetensors" --device "$DEVICE" --steps 40 --batch 16 --patch 64 --dead-leaves 16 \
    --lpips-weight "$LPIPS_WEIGHT" --validate-every 20 --seed 0 2>&1 | tr '\r' '\n' | tail -20 > "$OUT/smoke.txt"
cat "$OUT/smoke.txt"
[ -s "$SMOKE/smoke.safetensors" ] || { echo "the smoke run wrote no checkpoint: not starting the long run"; exit 1; }
$LE train -o "$OUT/default.safetensors" --width lite --device "$DEVICE" --steps "$STEPS" --batch "$BATCH" \
    --patch "$PATCH" --lr 3e-4 --lpips-weight "$LPIPS_WEIGHT" --adv-weight "$ADV_WEIGHT" --validate-every 1000 --time-limit "$MINUTES" \
    --seed 0 --force 2>&1 | tr '\r' '\n' > "$OUT/train.log"
tail -4 "$OUT/train.log"
