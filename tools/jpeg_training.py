"""Measure what training on the JPEG copy of CIFAR-10 does to test accuracy.

Run through tools/jpeg_effect.py, which also writes what the book says of it:

    python tools/jpeg_effect.py --trial             # time one short pair, write nothing
    python tools/jpeg_effect.py --measure-training  # train every pair, write RESULT

The book's GPU runs (and the CPU runs of chapters 1, 3 to 5 and 8) train on a copy of
CIFAR-10 whose images were re-encoded as JPEGs of quality 75; readers, the article
and He et al. train on the official files. The offline machines hold the official
pixels of only 5,397 training and 1,017 test images (the exact subset) and the JPEG
twins of every image, in the official order. This measurement trains chapter 5's toy
ResNet with chapter 5's recipe twice per seed: once on the 5,397 official training
images and once on their JPEG twins, from the same initial weights, with the same
batch order and the same dropout draws, so that the data are the only difference
within a pair. Each network is then scored on the 1,017 official test images and on
their JPEG twins, and the accuracies are compared seed by seed with a paired t
interval.

Each finished training is kept in WORK at once, so an interrupted measurement resumes
where it stopped; RESULT, committed, is written when every pair is done.
"""

import datetime
import hashlib
import importlib.metadata
import json
import math
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import scipy.stats

from book_layout import ROOT

RESULT = ROOT / "tools" / "jpeg_effect_training.json"
WORK = Path(os.environ.get("JPEG_TRAINING_WORK", "/tmp/jpeg_training_runs.json"))

# The exact subset's rows in each official training batch (README of the data); row i
# of data_batch_k is row (k - 1) * 10,000 + i of the JPEG pack.
TRAIN_BATCHES = (
    "data_batch_1",
    "data_batch_2",
    "data_batch_3",
    "data_batch_4",
    "data_batch_5",
)
ROWS_PER_BATCH = 10_000

# The network and recipe of chapter 5 (CHAPTER): the toy ResNet of the Keras guide to
# the functional API, read from the chapter's own code; Adam at 1e-3, batches of 64,
# integer labels and logits, pixels scaled to [0, 1], no augmentation. The data (5,397
# images instead of 45,000), the number of epochs and the batching (whole batches of a
# new permutation each epoch, drawn from the seed) differ from the chapter.
CHAPTER = ROOT / "notebooks" / "05_toy_resnet.ipynb"
NETWORK_FUNCTIONS = ("residual_block", "build_toy_resnet")
SEEDS = tuple(range(1, 11))
EPOCHS = 15
BATCH_SIZE = 64
LEARNING_RATE = 1e-3
EVAL_BATCH = 256
VERSIONS = ("official", "jpeg")  # the two training sets of a pair, in training order


def subset_training_pairs():
    """(official images, JPEG twins, labels) of the exact subset's training images."""
    import jpeg_effect

    folder = jpeg_effect.EXACT_TEST.parent
    official, jpeg, labels = [], [], []
    for number, name in enumerate(TRAIN_BATCHES):
        images, batch_labels = jpeg_effect.read_official_batch(folder / name)
        first = number * ROWS_PER_BATCH
        twins, twin_labels = jpeg_effect.read_jpeg_rows(
            range(first, first + len(images))
        )
        if not np.array_equal(batch_labels, twin_labels):
            raise SystemExit(f"the JPEG twins' labels differ from {name}'s")
        official.append(images)
        jpeg.append(twins)
        labels.append(batch_labels)
    return np.concatenate(official), np.concatenate(jpeg), np.concatenate(labels)


def fingerprint(array) -> str:
    """SHA-256 (first 16 hex digits) of an array's bytes, as the book's loader does."""
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()[:16]


def paired_t(first, second, confidence=0.95):
    """Mean of the paired differences first - second, with its t interval.

    One value per seed on each side, the two of a seed trained alike but for the
    data. The interval is mean ± t(n - 1) · s / sqrt(n), with s the differences'
    standard deviation and t Student's quantile from scipy.stats; the p-value is
    scipy.stats.ttest_rel's. Fewer than two seeds, or differences that are all
    equal, give no interval (None).
    """
    first = np.asarray(first, dtype=float)
    second = np.asarray(second, dtype=float)
    differences = first - second
    n = len(differences)
    result = {
        "seeds": n,
        "mean_first": float(first.mean()),
        "mean_second": float(second.mean()),
        "difference": float(differences.mean()),
        "differences": [float(value) for value in differences],
        "spread": None,
        "dof": None,
        "t_quantile": None,
        "interval_95": None,
        "p_value": None,
    }
    if n < 2 or np.all(differences == differences[0]):
        return result
    spread = float(differences.std(ddof=1))
    quantile = float(scipy.stats.t.ppf(0.5 + confidence / 2, n - 1))
    half = quantile * spread / math.sqrt(n)
    result.update(
        spread=spread,
        dof=n - 1,
        t_quantile=quantile,
        interval_95=[result["difference"] - half, result["difference"] + half],
        p_value=float(scipy.stats.ttest_rel(first, second).pvalue),
    )
    return result


def accuracy_of(correct: str) -> float:
    """Accuracy from a string of per-image outcomes ('1' right, '0' wrong)."""
    return correct.count("1") / len(correct)


# The comparisons the book states, each paired by seed: (name, (training set, test
# set) of the first accuracy, (training set, test set) of the second).
COMPARISONS = (
    ("training_on_official_test", ("official", "official"), ("jpeg", "official")),
    ("training_on_jpeg_test", ("official", "jpeg"), ("jpeg", "jpeg")),
    ("whole_copy", ("official", "official"), ("jpeg", "jpeg")),
    ("test_images_for_jpeg_trained", ("jpeg", "official"), ("jpeg", "jpeg")),
)


def summarise(runs):
    """The paired comparisons of COMPARISONS from the finished runs, by seed."""
    by_key = {(run["seed"], run["trained_on"]): run for run in runs}
    seeds = sorted({run["seed"] for run in runs})
    seeds = [seed for seed in seeds if all((seed, v) in by_key for v in VERSIONS)]

    def accuracies(trained_on, tested_on):
        return [
            accuracy_of(by_key[(seed, trained_on)]["correct"][tested_on])
            for seed in seeds
        ]

    return {
        name: paired_t(accuracies(*first), accuracies(*second))
        for name, first, second in COMPARISONS
    }


def chapter_network(keras, layers):
    """build_toy_resnet(), defined by chapter 5's own code.

    The two functions of NETWORK_FUNCTIONS are taken from the code cells of CHAPTER
    (its definitions only, not the cells' other statements), so the network measured
    is the chapter's, layer for layer.
    """
    import ast

    import nbformat

    notebook = nbformat.read(CHAPTER, as_version=4)
    space = {"keras": keras, "layers": layers, "NUM_CLASSES": 10}
    found = set()
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        for node in ast.parse(cell.source).body:
            if isinstance(node, ast.FunctionDef) and node.name in NETWORK_FUNCTIONS:
                code = ast.Module(body=[node], type_ignores=[])
                exec(compile(code, str(CHAPTER), "exec"), space)
                found.add(node.name)
    missing = set(NETWORK_FUNCTIONS) - found
    if missing:
        raise SystemExit(f"{CHAPTER.name} defines no {', '.join(sorted(missing))}")
    return space["build_toy_resnet"]


def build_for_training(keras, build_toy_resnet, seed):
    """Chapter 5's compiled toy ResNet for one seed (its compile_model)."""
    keras.utils.set_random_seed(seed)
    model = build_toy_resnet()
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=LEARNING_RATE),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
    )
    return model


def weights_fingerprint(model) -> str:
    digest = hashlib.sha256()
    for weights in model.get_weights():
        digest.update(np.ascontiguousarray(weights).tobytes())
    return digest.hexdigest()[:16]


def make_batches(keras, x, y, seed):
    """Shuffled whole batches of BATCH_SIZE, a new order each epoch drawn from
    `seed`: the same order for both members of a pair."""

    class Batches(keras.utils.PyDataset):
        def __init__(self):
            super().__init__()
            self.generator = np.random.default_rng(seed)
            self.order = self.generator.permutation(len(x))

        def __len__(self):
            return len(x) // BATCH_SIZE

        def __getitem__(self, index):
            part = self.order[index * BATCH_SIZE : (index + 1) * BATCH_SIZE]
            return x[part], y[part]

        def on_epoch_end(self):
            self.order = self.generator.permutation(len(x))

    return Batches()


def make_clock(keras):
    """A callback that keeps the wall time of each epoch in its list `seconds`."""

    class Clock(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.seconds = []

        def on_epoch_begin(self, epoch, logs=None):
            self.began = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.seconds.append(time.perf_counter() - self.began)

    return Clock()


def machine():
    model_name = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model_name = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": model_name,
        "cores": os.cpu_count(),
        "system": f"{platform.system()} {platform.release()}",
    }


def versions(keras):
    names = ("tensorflow", "numpy", "scipy", "pillow")
    found = {"python": platform.python_version(), "keras": keras.__version__}
    for name in names:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = None
    return found


def settings(epochs, seeds):
    return {
        "network": "toy_resnet (chapter 5)",
        "seeds": list(seeds),
        "epochs": epochs,
        "batch_size": BATCH_SIZE,
        "batches": "whole batches of a new permutation each epoch, drawn from the seed",
        "optimizer": "Adam",
        "learning_rate": LEARNING_RATE,
        "loss": "sparse categorical cross-entropy from logits",
        "augmentation": None,
        "input": "pixels / 255",
    }


def measure(epochs=EPOCHS, seeds=SEEDS, work=WORK, write=True):
    """Train every pair (resuming from `work`) and, if `write`, write RESULT."""
    import jpeg_effect

    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    import keras
    from keras import layers

    start = time.perf_counter()
    official, jpeg, labels = subset_training_pairs()
    exact_test, jpeg_test, test_labels = jpeg_effect.test_pairs()
    test = dict(zip(VERSIONS, (exact_test, jpeg_test)))
    training = dict(zip(VERSIONS, (official, jpeg)))
    labels = labels.astype("int32")

    wanted = settings(epochs, seeds)
    runs = []
    if work.exists():
        stored = json.loads(work.read_text())
        if stored["settings"] == wanted:
            runs = stored["runs"]
            print(f"resuming: {len(runs)} trainings found in {work}", flush=True)

    build_toy_resnet = chapter_network(keras, layers)

    for seed in seeds:
        for version in VERSIONS:
            if any(r["seed"] == seed and r["trained_on"] == version for r in runs):
                continue
            began = time.perf_counter()
            pixels = training[version].astype("float32") / 255.0
            model = build_for_training(keras, build_toy_resnet, seed)
            initial = weights_fingerprint(model)
            clock = make_clock(keras)
            keras.utils.set_random_seed(seed)  # the same dropout draws in a pair
            history = model.fit(
                make_batches(keras, pixels, labels, seed),
                epochs=epochs,
                callbacks=[clock],
                verbose=0,
            )
            correct = {}
            for tested_on, images in test.items():
                inputs = images.astype("float32") / 255.0
                predicted = np.argmax(
                    model.predict(inputs, batch_size=EVAL_BATCH, verbose=0), axis=1
                )
                correct[tested_on] = "".join(
                    "1" if right else "0" for right in predicted == test_labels
                )
            _, train_accuracy = model.evaluate(
                pixels, labels, batch_size=EVAL_BATCH, verbose=0
            )
            run = {
                "seed": seed,
                "trained_on": version,
                "initial_weights_sha256": initial,
                "history": {
                    key: [float(value) for value in values]
                    for key, values in history.history.items()
                },
                "train_accuracy_inference": float(train_accuracy),
                "correct": correct,
                "epoch_seconds": clock.seconds,
                "seconds": time.perf_counter() - began,
            }
            runs.append(run)
            work.write_text(json.dumps({"settings": wanted, "runs": runs}) + "\n")
            print(
                f"seed {seed}, trained on {version}: official test "
                f"{accuracy_of(correct['official']):.1%}, JPEG test "
                f"{accuracy_of(correct['jpeg']):.1%}, {run['seconds']:.0f} s "
                f"(epochs {', '.join(f'{s:.0f}' for s in clock.seconds)} s)",
                flush=True,
            )

    result = {
        "measured_by": "tools/jpeg_effect.py --measure-training",
        "date": datetime.date.today().isoformat(),
        "settings": wanted,
        "model_parameters": int(build_toy_resnet().count_params()),
        "data": {
            "train_images": len(labels),
            "test_images": len(test_labels),
            "train_sha256": {
                version: fingerprint(images) for version, images in training.items()
            },
            "test_sha256": {
                version: fingerprint(images) for version, images in test.items()
            },
            "test_labels_sha256": fingerprint(test_labels.astype("uint8")),
            "official": "exact subset of the official CIFAR-10 files "
            "(../shared/data/cifar10/exact-subset)",
            "jpeg": "the same rows of the JPEG copy (quality 75, "
            "../shared/data/cifar10/cifar10-jpeg.npz)",
        },
        "backend": keras.backend.backend(),
        "versions": versions(keras),
        "machine": machine(),
        "wall_seconds": round(time.perf_counter() - start),
        "train_seconds": round(sum(run["seconds"] for run in runs)),
        "comparisons": summarise(runs),
        "runs": runs,
    }
    if write:
        RESULT.write_text(json.dumps(result, indent=1) + "\n")
        print(f"wrote {RESULT.relative_to(ROOT)}")
    return result


if __name__ == "__main__":
    sys.exit("run tools/jpeg_effect.py --measure-training (or --trial)")
