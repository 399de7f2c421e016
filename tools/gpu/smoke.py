#!/usr/bin/env python3
"""Check, in well under a minute, that Keras trains a compiled step on this machine.

    KERAS_BACKEND=jax python3 tools/gpu/smoke.py   # exit 0: this backend works

Builds a small convolutional network behind the book's augmentation layer (the
shared snippet tools/snippets/augment.py), compiles it with jit_compile="auto" (True
on PyTorch), fits three steps and evaluates once. It fails when Keras does not
import, when the step is not compiled, when the loss is not finite, or when no
accelerator is found although nvidia-smi names one.
"""

import subprocess
import sys
import time
from pathlib import Path

start = time.perf_counter()
import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import layers  # noqa: E402

SNIPPETS = Path(__file__).resolve().parent.parent / "snippets"
exec((SNIPPETS / "augment.py").read_text())  # defines build_augmenter
exec((SNIPPETS / "device.py").read_text())  # defines describe_hardware

hardware = describe_hardware()  # noqa: F821
print(
    f"keras {keras.__version__} on {keras.backend.backend()}, "
    f"devices {hardware['devices']}, hardware {hardware['name']}",
    flush=True,
)
try:
    smi = subprocess.run(
        ["nvidia-smi", "-L"], capture_output=True, text=True, timeout=20
    ).stdout.strip()
except (OSError, subprocess.SubprocessError):
    smi = ""
if smi and not hardware["accelerator"]:
    sys.exit(
        f"nvidia-smi lists a GPU ({smi.splitlines()[0]}) that "
        f"{keras.backend.backend()} does not use"
    )
jit = True if keras.backend.backend() == "torch" else "auto"
image = keras.Input((32, 32, 3))
x = build_augmenter(seed=1)(image)  # noqa: F821
x = layers.Conv2D(32, 3, padding="same", activation="relu")(x)
x = layers.GlobalAveragePooling2D()(x)
model = keras.Model(image, layers.Dense(10, activation="softmax")(x))
model.compile("adam", "sparse_categorical_crossentropy", jit_compile=jit)
if hardware["accelerator"] and not model.jit_compile:
    sys.exit("the training step would not be compiled")
rng = np.random.default_rng(0)
x_data = rng.random((384, 32, 32, 3), dtype="float32")
y_data = rng.integers(0, 10, 384).astype("int32")
history = model.fit(x_data, y_data, batch_size=128, epochs=1, verbose=0)
loss = model.evaluate(x_data, y_data, batch_size=128, verbose=0)
if not np.isfinite(history.history["loss"][-1]) or not np.isfinite(loss):
    sys.exit(f"loss is not finite: {history.history['loss']}, {loss}")
print(
    f"smoke test passed in {time.perf_counter() - start:.1f} s "
    f"(compiled: {model.jit_compile})",
    flush=True,
)
