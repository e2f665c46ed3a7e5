#!/usr/bin/env bash
# Evidence columns (sub-threshold summary; with FLIP=1 also the flip agreement, default detector only)
# for every (detector, preset) part of build.sh's table, cached per detector sha256 like build.sh's
# parts, then joined into WORK/evidence.csv (keyed by the table's image column).
# FLIP_LIMIT=N: the flip pass on the first N images of each preset only (it doubles the detector time).
# Run after build.sh's simulation: bash models/recipes/forest/evidence.sh [WORK_DIR]
set -euo pipefail
WORK=${1:-/tmp/temguard-forest-data}
DETECTOR=${DETECTOR:-models/cavity-unet-all.onnx}
VARIANTS=${VARIANTS-models/cavity-unet-over.onnx models/cavity-unet-under.onnx}
VARIANT_PRESETS=${VARIANT_PRESETS:-steel-under steel-over ood-defocus}
PRESETS=${PRESETS:-steel-under steel-over he-bubbles he-bubbles-over fe-insitu steel-faceted ood-empty ood-defocus ood-lowdose ood-texture steel-faint real-background}
OUT="$WORK/evidence.csv"
rm -f "$OUT"
for det in $DETECTOR $VARIANTS; do
  presets=$PRESETS; flip=()
  if [ "$det" = "$DETECTOR" ]; then [ -n "${FLIP:-}" ] && flip=(--flip ${FLIP_LIMIT:+--limit $FLIP_LIMIT}); else presets=$VARIANT_PRESETS; fi
  for p in $presets; do
    part="$WORK/evidence/$(basename "$det" .onnx)-$(sha256sum "$det" | cut -c1-12)${FLIP:+-flip${FLIP_LIMIT:-}}/$p.csv"
    mkdir -p "$(dirname "$part")"
    [ -f "$part" ] || npx tsx models/recipes/forest/evidence.ts --images "$WORK/sim/$p" --model "$det" \
      --prefix "$(basename "$det" .onnx)/$p/" --out "$part.tmp" "${flip[@]}"
    [ -f "$part" ] || mv "$part.tmp" "$part"
    if [ -f "$OUT" ]; then tail -n +2 "$part" >> "$OUT"; else cp "$part" "$OUT"; fi
  done
done
echo "evidence.sh: $OUT"
