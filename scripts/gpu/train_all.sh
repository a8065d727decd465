#!/usr/bin/env bash
# One combined training run on a lent GPU machine (the `device` tool of our workplace; see each model
# card): the learned models that gain most from a GPU train side by side on one card and its CPU
# cores, each stopping itself after MINUTES and leaving <out>/snapshots.pt + <out>/log.txt.
#
#   bash scripts/gpu/train_all.sh MINUTES [OUT]     (MINUTES "smoke" = a 25-second try of each job)
#
# Run from the repository root with the data copy in .gpu/data (same layout as the data root:
# masonry crack patches and the artworks, shrunk to travel), made by
# `.venv/bin/python scripts/gpu/pack_data.py DATA`; carry [".gpu"] with the device tool.
set -uo pipefail
MIN="${1:?minutes}"
OUT="${2:-${OUT:?OUT}}"
[ "$MIN" = smoke ] && MIN=0.4
export PYTHONPATH=. PYTHONUNBUFFERED=1
if ls .whl/*.whl >/dev/null 2>&1; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/site .whl/*.whl \
    && export PYTHONPATH=.:/tmp/site
fi
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
python3 -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available())"
mkdir -p "$OUT"
pids=()
job() {  # job NAME COMMAND...: run in the background; a failing job's console tail is printed
  local name="$1"; shift
  mkdir -p "$OUT/$name"
  ( "$@" > "/tmp/$name.console" 2>&1; rc=$?; echo "$name exited $rc after ${SECONDS}s";
    [ $rc -ne 0 ] && tail -n 30 "/tmp/$name.console" ) &
  pids+=($!)
}
# The two models still short of their targets (#18 detector, #19 inpainting generator) continue
# from the committed weights and share the card; CPU cores: damage 9 data workers, inpainting 6.
# (The planning policies of #21 met their targets and are left out; their trainers still run
# alone: museum.planning.gpu_train, museum.planning.live_train.)
job det python3 -m restoration.damage.gpu_train --data .gpu/data --out "$OUT/det" --minutes "$MIN" --device cuda --workers 9 \
  --init restoration/weights/damage_unet.pt --lr 2e-3 --paste 0.8
job inp python3 -m restoration.inpaint.gpu_train --data .gpu/data --out "$OUT/inp" --minutes "$MIN" --device cuda --workers 6 \
  --init restoration/weights/inpaint_gated.pt
wait "${pids[@]}"
for f in /tmp/*.console; do echo "== $f"; tail -n 5 "$f"; done
ls -la "$OUT"/*
