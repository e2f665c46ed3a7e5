#!/usr/bin/env bash
# Rebuilds the bundled detectors from scratch (run from the repository root): simulated data,
# the three variants of the paper's Table 1 idea (all presets = the default bundled model;
# over-focus only; under-focus only), then overlays on the real images when ../shared/data/tem
# exists. The shipped models were trained as three parallel processes on 2 shared cores with a
# wall-clock budget (--minutes), so a rerun reaches a similar, not identical, step count: the
# manifest records the steps actually taken. Training stops at --steps or --minutes.
set -euo pipefail
D=${DATA:-/tmp/temguard-detector-data}
MIN=${MINUTES:-24}
bash models/recipes/detector/make_data.sh "$D" 50 12 512
VAL="$D/val-steel-under $D/val-steel-over $D/val-he-bubbles $D/val-fe-insitu $D/val-ood-empty $D/val-ood-defocus $D/val-ood-lowdose $D/val-ood-texture"
COMMON="--base 8 --crop 128 --batch 8 --steps 4000 --threads 1 --aug strong --threshold 0.3"
T=models/recipes/detector/train.py
/usr/bin/python3 $T --name cavity-unet-all --description "bundled default: all in-domain presets" $COMMON --minutes "${MIN_ALL:-26}" \
  --train "$D/train-steel-under" "$D/train-steel-over" "$D/train-he-bubbles" "$D/train-fe-insitu" --val $VAL
/usr/bin/python3 $T --name cavity-unet-over --description "variant: over-focus steel only (out of domain for under-focus)" $COMMON --minutes "$MIN" \
  --train "$D/train-steel-over" --val $VAL
/usr/bin/python3 $T --name cavity-unet-under --description "variant: under-focus steel only (out of domain for over-focus)" $COMMON --minutes "$MIN" \
  --train "$D/train-steel-under" --val $VAL
if [ -d ../shared/data/tem ]; then
  npx tsx models/recipes/detector/overlays.ts --model models/cavity-unet-all.onnx --out docs/detector
fi
