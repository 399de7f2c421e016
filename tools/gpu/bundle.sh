#!/usr/bin/env bash
# Fill .gpu/ (ignored by git) with what a GPU machine lacks to train chapters 6 and 7:
# the wheels of Keras and its needs that it may lack (namex, optree and optree's
# typing-extensions), and the 18 MB JPEG copy of
# CIFAR-10 with its materialize.py. The GPU machine (DEVELOPERS.md, "GPU work") has
# Python 3.12, JAX with CUDA, PyTorch, numpy, matplotlib, Pillow, absl-py, rich,
# h5py and ml-dtypes, no TensorFlow, no Jupyter and no internet.
#   usage: tools/gpu/bundle.sh [PYTHON_VERSION]   (default 3.12, the GPU machine's)
# The rehearsal (make gpu-rehearsal) builds one for this machine's Python instead.
set -euo pipefail
cd "$(dirname "$0")/../.."
python_version=${1:-3.12}
keras_version=${KERAS_VERSION:-$(.venv/bin/python -c 'import keras; print(keras.__version__)' \
  2>/dev/null || echo 3.15.1)}
shared=${SHARED_DIR:-$(cd .. && pwd)/shared}
rm -rf .gpu/whl && mkdir -p .gpu/whl .gpu/cifar10
platforms=()
for p in manylinux_2_28_x86_64 manylinux_2_27_x86_64 manylinux_2_17_x86_64 \
         manylinux2014_x86_64 manylinux1_x86_64 any; do
  platforms+=(--platform "$p")
done
python3 -m pip download -q --no-deps --only-binary=:all: \
  --python-version "$python_version" --implementation cp "${platforms[@]}" \
  -d .gpu/whl "keras==$keras_version" namex optree typing-extensions
cp "$shared/data/cifar10/cifar10-jpeg.npz" "$shared/data/cifar10/materialize.py" \
  .gpu/cifar10/
# materialize.py takes the batch labels and batches.meta from the exact subset
rm -rf .gpu/cifar10/exact-subset
cp -r "$shared/data/cifar10/exact-subset" .gpu/cifar10/
du -sh .gpu
