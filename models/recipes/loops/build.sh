#!/usr/bin/env bash
# The paper's experiment on real labelled loops (issue 15 part 1), run from the repository root:
#   bash models/recipes/loops/build.sh            (env: WORK, FOLDS=3, JOBS=2, MINUTES_FOLD=34, MINUTES_ALL=34, STEPS=20000)
# 1. prepare.py: k folds grouped by acquisition series, box labels -> filled ellipse polygons.
# 2. train.py (the detector recipe) once per fold on the other folds' series, JOBS at a time,
#    each on one thread, fine-tuned from the bundled cavity U-Net (same architecture;
#    BatchNorm frozen as onnx_init.py requires); then once on all 266 images (the shipped model).
#    Scale augmentation 0.4-1.2x: boxes are 14-125 px (1st-99th percentile, geometric mean of
#    w and h) at 1024 px and 35-165 px at 2048 px; the model sees ~6-150 px objects, and
#    object_px 8,96 tells the agent's pyramid to look for larger ones at 1/2, 1/4 scale.
# 3. temguard dataset per fold on its held-out images with that fold's model (out-of-fold
#    table; group = series from the COCO's temguard.preset), then train/evaluate (eval.sh).
set -euo pipefail
WORK=${WORK:-/tmp/loops-work}
FOLDS=${FOLDS:-3}
OUT=${OUT:-models}
T=models/recipes/detector/train.py
COMMON="--base 16 --crop 128 --batch 8 --threads 1 --aug strong --scale 0.4 1.2 --threshold 0.3 --lr 1e-3
  --init models/cavity-unet-all.onnx --freeze-bn --object-px 8,96 --class-name loop111 --steps ${STEPS:-20000}"
/usr/bin/python3 models/recipes/loops/prepare.py --data ../shared/data/loops --out "$WORK" --folds "$FOLDS"
mkdir -p "$WORK/models"
# One training per fold plus the all-data one, JOBS at a time (each on one thread).
train() {  # name seed description data minutes out-dir
  [ -f "$6/$1.onnx" ] || nice -n 10 /usr/bin/python3 $T --name "$1" --seed "$2" --description "$3" --out-dir "$6" $COMMON \
    --minutes "$5" --train "$4" > "$WORK/models/$1.log" 2>&1
}
for i in $(seq 0 $((FOLDS - 1))); do
  train "loops-unet-fold$i" "$i" "cross-fitting fold $i of $FOLDS: trained on the other folds' series only" \
    "$WORK/fold$i-train" "${MINUTES_FOLD:-34}" "$WORK/models" &
  [ "$(jobs -r | wc -l)" -lt "${JOBS:-2}" ] || wait -n
done
train loops-unet 7 "loops pack detector: <111> dislocation loops, trained on all 266 real images of shared/data/loops" \
  "$WORK/all" "${MINUTES_ALL:-34}" "$OUT" &
wait

# Post-processing (set_postprocess.py; the same as train.py --threshold/--min-area): threshold 0.7,
# min_area 500 px (in each pyramid level's pixels; a 25 px ellipse at full scale) for every model.
# Chosen with fold 0's model on every 3rd of its held-out images (30 images, 1 174 loops; agent's
# detect path, paper's matching): 0.3/150 pooled F1 0.558, 0.5/150 0.589, 0.7/150 0.619,
# 0.7/300 0.648, 0.6/400 0.649, 0.7/500 0.669 (P 0.61, R 0.74). The unlabelled black dots and loop
# fragments are small, so the larger minimum buys precision. (The 750-step models of before needed
# 0.3 or 0.5 and 150 px: their maps rarely reached 0.7.) So fold 0's detector figure is slightly optimistic.
P=models/recipes/loops/set_postprocess.py
for m in "$WORK"/models/loops-unet-fold*.onnx "$OUT/loops-unet.onnx"; do
  /usr/bin/python3 $P "$m" --threshold 0.7 --min-area 500
done
echo "build.sh: detectors in $WORK/models and $OUT/loops-unet.onnx; next: bash models/recipes/loops/eval.sh"
