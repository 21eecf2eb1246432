set -euo pipefail
cd "$(dirname "$0")/../../.."
LE=.venv/bin/lowlight-edge
O=${1:-work/int8-over-fp16}; mkdir -p $O
$LE export lowlight_edge/weights/default.safetensors -o $O/default.fp32.onnx --force
for base in fp16 fp32; do
  $LE quantize int8 $O/default.fp32.onnx -o $O/default.int8-$base.onnx --base $base --calib synthetic:16 --lpips-budget 0.01 --force
done
$LE validate --reference $O/default.fp32.onnx --candidate $O/default.int8-fp16.onnx --candidate $O/default.int8-fp32.onnx \
   --backend ort-cpu --backend ov-cpu --synthetic 8 --json $O/drift.json --markdown $O/drift.md --force || true
$LE check $O/default.int8-fp16.onnx > $O/check-fp16.txt 2>&1 || true
$LE check $O/default.int8-fp32.onnx > $O/check-fp32.txt 2>&1 || true
