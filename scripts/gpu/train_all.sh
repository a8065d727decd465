#!/usr/bin/env bash
# One combined training run on a lent GPU machine (the `device` tool of our workplace; see each model
# card): the learned models that gain most from a GPU train side by side on one card and its CPU
# cores, each stopping itself after MINUTES and leaving <out>/snapshots.pt + <out>/log.txt.
#
#   bash scripts/gpu/train_all.sh MINUTES [OUT]     (MINUTES "smoke" = a 25-second try of each job)
#
# Run from the repository root with the data copy in .gpu/data (same layout as ../shared/data:
# masonry crack patches and the artworks, shrunk to travel) and a simpy wheel in .whl.
set -uo pipefail
MIN="${1:?minutes}"
OUT="${2:-${OUT:?OUT}}"
POL_EXTRA=""
[ "$MIN" = smoke ] && MIN=0.4 && POL_EXTRA="--snapshot-s 10 --log-s 5"
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
# The four jobs share the card; CPU cores: damage 6 data workers, inpainting 4, live routing 4
# simulating processes, planning policy 1 (its instances are made on the GPU).
job det python3 -m restoration.damage.gpu_train --data .gpu/data --out "$OUT/det" --minutes "$MIN" --device cuda --workers 6
job inp python3 -m restoration.inpaint.gpu_train --data .gpu/data --out "$OUT/inp" --minutes "$MIN" --device cuda --workers 4
job live python3 -m museum.planning.live_train --out "$OUT/live" --minutes "$MIN" --workers 4 --device cpu
job pol python3 -m museum.planning.gpu_train --out "$OUT/pol" --minutes "$MIN" --device cuda --workers 1 $POL_EXTRA
wait "${pids[@]}"
for f in /tmp/*.console; do echo "== $f"; tail -n 5 "$f"; done
ls -la "$OUT"/*
