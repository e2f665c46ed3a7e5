#!/usr/bin/env bash
# After build.sh: the out-of-fold feature table, per-fold detector scores, the loops forest and
# its report (run from the repository root):   bash models/recipes/loops/eval.sh
# Each fold's held-out images go through the agent's own detect path (temguard dataset: windows,
# pyramid, the paper's matching at IoU >= 0.1) with the model that did not see them; rows are
# grouped by acquisition series (the COCO's temguard.preset, written by prepare.py, the same as
# --group SERIES per series). The forest is trained on that out-of-fold table only.
set -euo pipefail
WORK=${WORK:-/tmp/loops-work}
FOLDS=${FOLDS:-3}
DOCS=${DOCS:-docs/loops}
TG="npx tsx agent/cli.ts"
mkdir -p "$WORK/parts" "$DOCS"
for i in $(seq 0 $((FOLDS - 1))); do
  m="$WORK/models/loops-unet-fold$i.onnx"
  part="$WORK/parts/fold$i-$(sha256sum "$m" | cut -c1-12).csv"
  [ -f "$part" ] || nice -n 10 $TG dataset --images "$WORK/fold$i-test" --annotations "$WORK/fold$i-test/annotations.json" \
    --model "$m" --providers cpu --prefix "fold$i/" --out "$part"
  if [ "$i" = 0 ]; then cp "$part" "$DOCS/table.csv"; else tail -n +2 "$part" >> "$DOCS/table.csv"; fi
done
/usr/bin/python3 models/recipes/loops/fold_scores.py --table "$DOCS/table.csv" --work "$WORK" --folds "$FOLDS" > "$DOCS/fold_scores.json"
DETS=$(for i in $(seq 0 $((FOLDS - 1))); do echo -n "$WORK/models/loops-unet-fold$i.onnx,"; done)
$TG train --table "$DOCS/table.csv" --out models/forest-loops.json --name forest-loops --detectors "${DETS%,}" \
  --trained-on "out-of-fold table docs/loops/table.csv: 266 real TEM/STEM images of <111> dislocation loops (shared/data/loops, training split of uw-cmg/Multitype-Defect-Detection 331ed7a), each detected by the loops-unet fold model ($FOLDS folds grouped by acquisition series) that did not see it; true F1 from the hand-drawn boxes at IoU >= 0.1"
# Image-statistics domain reference from real label-free micrographs (as forest/build.sh does).
npx tsx models/recipes/forest/image-domain.ts --forest models/forest-loops.json --data ../shared/data
# The interval calibrated on leave-one-series-out residuals, as forest/build.sh does: nested
# leave-one-series-out coverage 0.805 (out-of-bag) -> 0.898 (candidates.ts, docs/loops/candidates-conformal-domain.json).
npx tsx models/recipes/forest/calibrate.ts --table "$DOCS/table.csv" --forest models/forest-loops.json
$TG evaluate --table "$DOCS/table.csv" --out "$DOCS/report" --repeats "${REPEATS:-10}" --forest models/forest-loops.json \
  --model models/loops-unet.onnx --providers cpu
/usr/bin/python3 models/recipes/loops/paper_method.py "$DOCS/table.csv" "$DOCS/report/folds.json" > "$DOCS/paper_method.json"
