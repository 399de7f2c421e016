#!/usr/bin/env bash
# Rehearse a GPU window on this CPU (make gpu-rehearsal): a clean clone of HEAD, a
# fresh virtual environment that holds only what the GPU machine has
# (tools/gpu/machine-packages.txt; no TensorFlow, no Jupyter) plus the wheels that
# tools/gpu/bundle.sh brings along, then tools/gpu/window.sh with QUICK_RUN=1 for
# chapters 5 and 6 (chapter 6 in two processes). It passes when the window exits 0
# and both chapters' results files are complete, every record with a compiled step.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
shared=${SHARED_DIR:-$(cd "$root/.." && pwd)/shared}
work=$(mktemp -d "${TMPDIR:-/tmp}/gpu-rehearsal-XXXXXX")
echo "rehearsal in $work"
git clone -q "$root" "$work/book"
python3 -m venv "$work/venv"
"$work/venv/bin/python" -m pip install -q --upgrade pip
"$work/venv/bin/python" -m pip install -q -r "$root/tools/gpu/machine-packages.txt"
export PATH="$work/venv/bin:$PATH"
cd "$work/book"
version=$(python3 -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
KERAS_VERSION=$(cd "$root" && (.venv/bin/python -c 'import keras; print(keras.__version__)' \
  2>/dev/null || echo 3.15.1)) SHARED_DIR="$shared" bash tools/gpu/bundle.sh "$version"
start=$(date +%s)
QUICK_RUN=1 OUT="$work/out" GPU_SITE="$work/site" CIFAR10_DIR="$work/cifar10" \
  bash tools/gpu/window.sh 600 notebooks/05_resnet30_vs_plainnet.ipynb \
  notebooks/06_degradation_across_depth.ipynb:2
echo "window took $(( $(date +%s) - start )) s"
python3 - "$work/out" <<'PY'
import json, sys
from pathlib import Path
out = Path(sys.argv[1])
# Quick plans: chapter 5 trains 5 networks, chapter 6 its 20- and 32-layer twins (4).
expected = {"05_resnet30_vs_plainnet/resnet30_vs_plainnet_results_quick.json": 5,
            "06_degradation_across_depth/degradation_results_quick.json": 4}
for name, count in expected.items():
    records = json.loads((out / name).read_text())
    compiled = [record["jit_compile"] for record in records]
    data = {record["experiment"]["data"]["name"] for record in records}
    backends = {record["machine"]["backend"] for record in records}
    print(f"{name}: {len(records)} records, compiled {set(compiled)}, {backends}, {data}")
    assert len(records) == count and all(compiled), name
print("rehearsal passed")
PY
