#!/usr/bin/env bash
# One GPU window: train what is missing of chapters 6 and 7 within a time budget.
#   usage: tools/gpu/window.sh BUDGET_SECONDS NOTEBOOK[:PROCESSES] [...]
#   e.g.   tools/gpu/window.sh 480 notebooks/06_resnet30_vs_plainnet.ipynb \
#                                  notebooks/07_degradation_across_depth.ipynb:3
# Runs in the repository root of a GPU machine set up as DEVELOPERS.md describes
# (Python 3.12, JAX with CUDA, PyTorch, no TensorFlow, Jupyter or internet), with .gpu/
# from tools/gpu/bundle.sh carried along. It
#   1. installs the wheels of .gpu/whl into /tmp/site (PYTHONPATH);
#   2. materialises the JPEG copy of CIFAR-10 into /tmp/cifar10 (CIFAR10_DIR);
#   3. smoke-tests Keras on JAX (tools/gpu/smoke.py), falling back to PyTorch;
#   4. trains each notebook's missing runs with tools/run_cells.py in
#      $OUT/<notebook name>/, which starts from the published results (and weights)
#      files of notebooks/results/ and is rewritten after every training, in
#      PROCESSES processes side by side (default 1). One deadline, this script's
#      start plus BUDGET_SECONDS, is given to every process (TRAIN_DEADLINE): no
#      training starts whose estimate, from its FLOPs and the speed measured so
#      far on this device, would end after it, and after side-by-side processes
#      the notebook is only rendered, never trained further.
# What must come back is under $OUT (default ./_gpu_out), at most 8 files of at most
# 16 MiB each (the device tool's limits; the last lines list them): copy each
# results and weights file into notebooks/results/ and commit it. QUICK_RUN=1
# rehearses it on a CPU.
set -uo pipefail
cd "$(dirname "$0")/../.."
budget=${1:?usage: window.sh BUDGET_SECONDS NOTEBOOK[:PROCESSES] ...}
shift
start=$(date +%s)
export TRAIN_DEADLINE=$(( start + budget ))
unset TRAIN_TIME_BUDGET
OUT=${OUT:-$PWD/_gpu_out}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1 TF_CPP_MIN_LOG_LEVEL=3

site=${GPU_SITE:-/tmp/site}
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
  --target "$site" .gpu/whl/*.whl || exit 1
export PYTHONPATH="$site${PYTHONPATH:+:$PYTHONPATH}"

export CIFAR10_DIR=${CIFAR10_DIR:-/tmp/cifar10}
if [ ! -f "$CIFAR10_DIR/cifar-10-batches-py/test_batch" ]; then
  python3 .gpu/cifar10/materialize.py "$CIFAR10_DIR" >/dev/null || exit 1
fi
echo "data in $CIFAR10_DIR after $(( $(date +%s) - start )) s"

export JAX_COMPILATION_CACHE_DIR=${JAX_COMPILATION_CACHE_DIR:-/tmp/jax-cache}
export JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS=0
export JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES=-1
backend=""
for candidate in jax torch; do
  if KERAS_BACKEND=$candidate timeout 120 python3 tools/gpu/smoke.py; then
    backend=$candidate
    break
  fi
  echo "Keras on $candidate failed its smoke test"
done
[ -n "$backend" ] || { echo "no backend passed the smoke test"; exit 1; }
export KERAS_BACKEND=$backend
echo "backend $backend after $(( $(date +%s) - start )) s"

# A window without QUICK_RUN trains the book's full plans: say so, since the run-size
# forms of chapters 6 and 7 show the reader's.
[ -n "${QUICK_RUN:-}" ] || export RUN_SIZE="${RUN_SIZE:-full}"
status=0
for item in "$@"; do
  notebook=${item%%:*}
  processes=1
  [ "$item" != "$notebook" ] && processes=${item##*:}
  name=$(basename "$notebook" .ipynb)
  workdir="$OUT/$name"
  mkdir -p "$workdir"
  if [ -z "${QUICK_RUN:-}" ]; then
    for published in notebooks/results/*.json notebooks/results/*.npz; do
      [ -e "$published" ] || continue
      if grep -q "$(basename "$published")" "$notebook" \
          && [ ! -e "$workdir/$(basename "$published")" ]; then
        cp "$published" "$workdir/"
      fi
    done
  fi
  left=$(( TRAIN_DEADLINE - $(date +%s) ))
  if [ "$left" -le 30 ]; then
    echo "no time left for $notebook"
    break
  fi
  echo "=== $notebook: $processes process(es), $left s left"
  python3 tools/run_cells.py "$notebook" --workdir "$workdir" \
    --processes "$processes" || status=1
done
echo "window done in $(( $(date +%s) - start )) s (deadline at $budget s)"
files=$(find "$OUT" -type f | wc -l)
find "$OUT" -type f -printf '%s %p\n' | sort -k2 | while read -r size path; do
  echo "  $path: $(( size / 1024 )) KiB"
  [ "$size" -le $(( 16 * 1024 * 1024 )) ] || echo "  ^ over 16 MiB: it will not come back"
done
[ "$files" -le 8 ] || echo "$files files under $OUT: only 8 come back"
exit $status
