#!/usr/bin/env bash
# Rebuilds the bundled detectors from scratch (run from the repository root): simulated data,
# the default model (simulation only, all in-domain presets), the two single-focus variants of
# the paper's Table 1 idea (over-focus only; under-focus only), then, when the real images exist
# (../shared/data), the self-training candidate cavity-unet-selftrain (not the default: measured
# slightly worse in simulation and not clearly better on real images, docs/detector/README.md):
# pseudo-labels of the real adaptation images (real_split.json) from the default model, and a
# fine-tune of it on simulation plus pseudo-labelled real crops plus real cavity-free
# backgrounds. Two cores: the default model trains on one while the variants train one after
# the other on the other (one thread per process is fastest).
# Training stops at --steps or --minutes, whichever comes first (the cosine schedule follows
# whichever ends first), so a rerun reaches a similar, not identical, step count: the manifest
# records the steps actually taken.
#   MINUTES_ALL=90 MINUTES_VARIANT=45 MINUTES_SELF=50 OUT=models bash models/recipes/detector/build.sh
# A run that is stopped can be resumed: train.py --init TMPDIR/<name>.pt (the checkpoint) with
# --lr set to the schedule's lr at that step and --steps the remainder. The shipped default was
# made that way after a machine restart at step 4500 (its manifest's training.init says how).
set -euo pipefail
D=${DATA:-/tmp/temguard-detector-data}
OUT=${OUT:-models}
W=${WORK:-/tmp/temguard-detector-work}
REAL=../shared/data
bash models/recipes/detector/make_data.sh "$D" 120 16 512
VAL="$D/val-steel-under $D/val-steel-over $D/val-he-bubbles $D/val-he-bubbles-over $D/val-fe-insitu $D/val-steel-faceted $D/val-ood-empty $D/val-ood-defocus $D/val-ood-lowdose $D/val-ood-texture"
# scale 0.5-2.5: real cavities reach 70 px across; with 0.5-1.25 the large ones in the real
# images were missed or outlined in pieces (docs/detector/README.md).
COMMON="--base 16 --crop 128 --batch 8 --threads 1 --aug strong --scale 0.5 2.5 --threshold 0.3"
T=models/recipes/detector/train.py
P=models/recipes/detector/pseudo_labels.py
SIM_PRESETS="$D/train-steel-under $D/train-steel-over $D/train-he-bubbles $D/train-he-bubbles-over $D/train-fe-insitu"
mkdir -p "$OUT" "$W"
/usr/bin/python3 $T --name cavity-unet-all --description "bundled default: all in-domain presets" --out-dir "$OUT" $COMMON --steps 12000 \
  --minutes "${MINUTES_ALL:-90}" --train $SIM_PRESETS --val $VAL > "$OUT/cavity-unet-all.log" 2>&1 &
all=$!
/usr/bin/python3 $T --name cavity-unet-over --description "variant: over-focus steel only (out of domain for under-focus)" --out-dir "$OUT" $COMMON \
  --steps 12000 --minutes "${MINUTES_VARIANT:-45}" --train "$D/train-steel-over" --val $VAL > "$OUT/cavity-unet-over.log" 2>&1
/usr/bin/python3 $T --name cavity-unet-under --description "variant: under-focus steel only (out of domain for over-focus)" --out-dir "$OUT" $COMMON \
  --steps 12000 --minutes "${MINUTES_VARIANT:-45}" --train "$D/train-steel-under" --val $VAL > "$OUT/cavity-unet-under.log" 2>&1
wait $all
if [ -d "$REAL/tem" ]; then
  # Counts for all 27 real images; pictures of eight that span the set (under/over focus, small
  # and large cavities, 512 px to 2004 px fields).
  npx tsx models/recipes/detector/overlays.ts --model "$OUT/cavity-unet-all.onnx" --out docs/detector \
    --pictures "16 BF 2 defocus 323.03nm.png,10_115K.png,1 39K.png,75_01.jpg,74dpa-voids4 Under focus.png,100dpa Voids2 over 512.png,41dpa voids5 +512.png,800H-H01-1_2016-02-27_0007.png"
  # Self-training (issue 12): the default model labels the adaptation images under four
  # flips/transposes and at 1/2 and 1/4 scale; consistent confident components are cavities,
  # pixels every view calls background are background, the rest is ignored (pseudo_labels.py).
  # steel-faceted is validated but not trained on here: a third of its cavities are < 5 px, and
  # with it in the mix (lr 4e-4) the held-out real backgrounds got 2.5x the detections at step
  # 1000 (3-4 px dots on noise).
  /usr/bin/python3 $P infer --model "$OUT/cavity-unet-all.onnx" --data $REAL --cache "$W/pl-cache"
  /usr/bin/python3 $P label --data $REAL --cache "$W/pl-cache" --out "$W/pl" --backgrounds
  /usr/bin/python3 $T --name cavity-unet-selftrain \
    --description "candidate, not the default: cavity-unet-all fine-tuned by self-training on real micrographs (pseudo-labels, real cavity-free backgrounds)" \
    --out-dir "$OUT" $COMMON --steps 8000 --minutes "${MINUTES_SELF:-50}" --lr 2e-4 --seed 3 --init "$OUT/cavity-unet-all.onnx" --freeze-bn \
    --pseudo "$W/pl" --pseudo-data $REAL --pseudo-frac 0.5 --background-share 0.5 --pseudo-scale 0.7 1.4 \
    --train $SIM_PRESETS --val $VAL > "$OUT/cavity-unet-selftrain.log" 2>&1
  # held-out backgrounds: false detections of both
  /usr/bin/python3 models/recipes/detector/real_check.py "$OUT/cavity-unet-all.onnx" "$OUT/cavity-unet-selftrain.onnx"
fi
