#!/usr/bin/env bash
# The paper's experiment on real labelled loops (issue 15 part 1), run from the repository root:
#   bash models/recipes/loops/build.sh            (env: WORK, FOLDS=3, MINUTES_FOLD=7, MINUTES_ALL=8, STEPS=1200)
# 1. prepare.py: k folds grouped by acquisition series, box labels -> filled ellipse polygons.
# 2. train.py (the detector recipe) once per fold on the other folds' series, one after another
#    on one thread (shared CPU), fine-tuned from the bundled cavity U-Net (same architecture;
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
  --init models/cavity-unet-all.onnx --freeze-bn --object-px 8,96 --class-name loop111 --steps ${STEPS:-1200}"
/usr/bin/python3 models/recipes/loops/prepare.py --data ../shared/data/loops --out "$WORK" --folds "$FOLDS"
mkdir -p "$WORK/models"
for i in $(seq 0 $((FOLDS - 1))); do
  [ -f "$WORK/models/loops-unet-fold$i.onnx" ] || nice -n 10 /usr/bin/python3 $T --name "loops-unet-fold$i" --seed "$i" \
    --description "cross-fitting fold $i of $FOLDS: trained on the other folds' series only" --out-dir "$WORK/models" $COMMON \
    --minutes "${MINUTES_FOLD:-7}" --train "$WORK/fold$i-train" > "$WORK/models/loops-unet-fold$i.log" 2>&1
done
[ -f "$OUT/loops-unet.onnx" ] || nice -n 10 /usr/bin/python3 $T --name loops-unet --seed 7 \
  --description "loops pack detector: <111> dislocation loops, trained on all 266 real images of shared/data/loops" --out-dir "$OUT" $COMMON \
  --minutes "${MINUTES_ALL:-8}" --train "$WORK/all" > "$WORK/models/loops-unet.log" 2>&1

# Post-processing (set_postprocess.py; the same as train.py --threshold/--min-area): min_area 150
# px (the ellipse of a 14 px box, the 1st percentile of loop sizes; 6 px kept the unlabelled black
# dots: fold 0 precision 0.18). Threshold 0.5 where the probability map reaches it; fold 1 and the
# all-data model (fewer effective steps) put no pixel above 0.5 on held-out/training images, so 0.3.
# Chosen on 30 held-out images of fold 0 (0.3/6: pooled F1 0.30; 0.5/60: 0.44; 0.5/150: 0.50).
P=models/recipes/loops/set_postprocess.py
/usr/bin/python3 $P "$WORK/models/loops-unet-fold0.onnx" --threshold 0.5 --min-area 150
/usr/bin/python3 $P "$WORK/models/loops-unet-fold1.onnx" --threshold 0.3 --min-area 150
/usr/bin/python3 $P "$WORK/models/loops-unet-fold2.onnx" --threshold 0.5 --min-area 150
/usr/bin/python3 $P "$OUT/loops-unet.onnx" --threshold 0.3 --min-area 150
echo "build.sh: detectors in $WORK/models and $OUT/loops-unet.onnx; next: bash models/recipes/loops/eval.sh"
