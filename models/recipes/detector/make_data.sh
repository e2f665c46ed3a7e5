#!/usr/bin/env bash
# Simulated training and validation sets for the bundled cavity U-Net, from temguard's own
# simulator (run from the repository root). Train and validation seeds never overlap, so the
# validation F1 in the manifests is measured on fresh images. Each set's seed is fixed by its
# position in its list (new presets go at the end, so existing sets keep their seeds).
#   bash models/recipes/detector/make_data.sh [DATA_DIR] [TRAIN_PER_PRESET] [VAL_PER_PRESET] [SIZE]
set -euo pipefail
DATA=${1:-/tmp/temguard-detector-data}
NTRAIN=${2:-50}
NVAL=${3:-12}
SIZE=${4:-512}
TRAIN_PRESETS="steel-under steel-over he-bubbles fe-insitu he-bubbles-over steel-faceted"
VAL_PRESETS="steel-under steel-over he-bubbles fe-insitu ood-empty ood-defocus ood-lowdose ood-texture he-bubbles-over steel-faceted"
mkdir -p "$DATA"
make() { # split preset count seed
  local dir="$DATA/$1-$2"
  if [ -f "$dir/annotations.json" ]; then echo "have $dir"; return; fi
  rm -rf "$dir"
  npx tsx agent/cli.ts simulate --out "$dir" --count "$3" --seed "$4" --preset "$2" --size "$SIZE"
  printf '{"dir": "%s-%s", "split": "%s", "preset": "%s", "count": %s, "seed": %s, "size": %s, "command": "temguard simulate --out DIR --count %s --seed %s --preset %s --size %s"}\n' \
    "$1" "$2" "$1" "$2" "$3" "$4" "$SIZE" "$3" "$4" "$2" "$SIZE" > "$dir/recipe.json"
}
k=0
for p in $TRAIN_PRESETS; do k=$((k + 1)); make train "$p" "$NTRAIN" $((k * 100000)); done
k=4
for p in $VAL_PRESETS; do k=$((k + 1)); make val "$p" "$NVAL" $((900000 + k * 1000)); done
