#!/usr/bin/env python3
"""Check, in well under a minute, that Keras trains what the chapters train here.

    KERAS_BACKEND=jax python3 tools/gpu/smoke.py   # exit 0: this backend works

Builds a small residual network with what chapters 6 and 7 put in theirs: the
book's augmentation layer (tools/snippets/augment.py) in front, convolutions with L2
kernel regularisers, batch normalisation, an addition, a float32 softmax, under the
precision policy the chapters choose for this machine (tools/snippets/precision.py:
mixed bfloat16 or float16 on a GPU), compiled as they compile it (jit_compile "auto",
True on PyTorch with an accelerator), with SGD on a piecewise-constant schedule and,
where the backend allows it, several steps per call (steps_per_execution). It fits
eight steps and evaluates once. It fails when Keras does not import, when the step
is not compiled on an accelerator, when the loss is not finite or does not move,
when the regularisers add nothing to the loss, or when no accelerator is found
although nvidia-smi names one.
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
for name in ("augment", "device", "precision"):
    # build_augmenter, describe_hardware (and HARDWARE), choose_precision
    exec((SNIPPETS / f"{name}.py").read_text())

hardware = describe_hardware()  # noqa: F821
backend = keras.backend.backend()
try:
    smi = subprocess.run(
        ["nvidia-smi", "-L"], capture_output=True, text=True, timeout=20
    ).stdout.strip()
except (OSError, subprocess.SubprocessError):
    smi = ""
if smi and not hardware["accelerator"]:
    sys.exit(
        f"nvidia-smi lists a GPU ({smi.splitlines()[0]}) that {backend} does not use"
    )

precision = choose_precision(hardware)  # noqa: F821
keras.mixed_precision.set_global_policy(precision)
jit = True if backend == "torch" and hardware["accelerator"] else "auto"
steps_per_execution = 1 if backend == "torch" else 2
regulariser = keras.regularizers.L2(5e-4)

keras.utils.set_random_seed(1)
image = keras.Input((32, 32, 3))
x = build_augmenter(seed=1)(image)  # noqa: F821
x = layers.Conv2D(16, 3, padding="same", kernel_regularizer=regulariser)(x)
x = layers.ReLU()(layers.BatchNormalization()(x))
branch = layers.Conv2D(16, 3, padding="same", kernel_regularizer=regulariser)(x)
branch = layers.BatchNormalization()(branch)
x = layers.ReLU()(layers.Add()([x, branch]))
x = layers.GlobalAveragePooling2D()(x)
outputs = layers.Dense(
    10, activation="softmax", dtype="float32", kernel_regularizer=regulariser
)(x)
model = keras.Model(image, outputs)
schedule = keras.optimizers.schedules.PiecewiseConstantDecay([4, 6], [0.1, 0.01, 0.001])
model.compile(
    optimizer=keras.optimizers.SGD(learning_rate=schedule, momentum=0.9),
    loss="sparse_categorical_crossentropy",
    jit_compile=jit,
    steps_per_execution=steps_per_execution,
)
if hardware["accelerator"] and not model.jit_compile:
    sys.exit("the training step would not be compiled")
rng = np.random.default_rng(0)
x_data = rng.random((256, 32, 32, 3), dtype="float32")
y_data = rng.integers(0, 10, 256).astype("int32")
history = model.fit(x_data, y_data, batch_size=32, epochs=2, verbose=0)
loss = model.evaluate(x_data, y_data, batch_size=128, verbose=0)
losses = history.history["loss"]
if not np.all(np.isfinite(losses)) or not np.isfinite(loss):
    sys.exit(f"loss is not finite: {losses}, {loss}")
if losses[0] == losses[-1]:
    sys.exit(f"the loss did not move in 8 steps: {losses}")
if not float(sum(keras.ops.convert_to_numpy(term) for term in model.losses)) > 0:
    sys.exit("the kernel regularisers add nothing to the loss")
print(
    f"smoke test passed in {time.perf_counter() - start:.1f} s: keras "
    f"{keras.__version__} on {backend}, {hardware['name']}, {precision}, "
    f"compiled: {model.jit_compile}, steps per call: {steps_per_execution}",
    flush=True,
)
