# @title The CIFAR-10 loader
# Shared cell: edit tools/snippets/cifar10_loader.py and run tools/stamp_notebooks.py.
# CIFAR-10 loader. With internet (Colab, most laptops) this is just
# keras.datasets.cifar10.load_data(). Offline, set the environment variable
# CIFAR10_DIR to a folder holding cifar-10-batches-py/ (the official python
# version: data_batch_1 ... data_batch_5, test_batch) and it is read from there.
import hashlib
import os
import pickle

import numpy as np

CIFAR10_LAYOUT = "CIFAR10_DIR/cifar-10-batches-py/{data_batch_1..5,test_batch}"
# SHA-256 (first 16 hex digits) of the first 1,017 test images as uint8, and of the
# next 1,017 in the JPEG copy: enough to tell the copies of CIFAR-10 apart.
OFFICIAL_TEST_HEAD = "48bde46fb9080c13"
JPEG_TEST_HEAD, JPEG_TEST_NEXT = "205aae1328c992c2", "a3f8862da98fc291"
CIFAR10_READ = None  # load_cifar10() sets it to the name of the copy it read


class NumpyOnlyUnpickler(pickle.Unpickler):
    """Unpickles numpy arrays and plain containers, refuses everything else."""

    allowed = {("numpy", "ndarray"), ("numpy", "dtype"),
               ("numpy.core.multiarray", "_reconstruct"),
               ("numpy._core.multiarray", "_reconstruct")}

    def find_class(self, module, name):
        if (module, name) not in self.allowed:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name}")
        return super().find_class(module, name)


def read_cifar10_batch(folder, name):
    path = os.path.join(folder, "cifar-10-batches-py", name)
    try:
        with open(path, "rb") as file:
            batch = NumpyOnlyUnpickler(file, encoding="bytes").load()
        pixels, labels = batch[b"data"], batch[b"labels"]
        if not isinstance(pixels, np.ndarray) or pixels.dtype != np.uint8:
            raise ValueError("'data' is not a uint8 array")
        images = pixels.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
        labels = np.asarray(labels, dtype="uint8").reshape(-1, 1)
    except (OSError, pickle.UnpicklingError, KeyError, TypeError, ValueError) as error:
        raise RuntimeError(
            f"CIFAR10_DIR is set but {name} could not be read ({error}). "
            f"Expected the official python layout: {CIFAR10_LAYOUT}") from None
    return images, labels


def fingerprint(array):
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()[:16]


def name_the_data(x_train, x_test):
    """Say exactly which copy of CIFAR-10 the uint8 arrays x_train, x_test are."""
    head = fingerprint(x_test[:1017])
    if head == JPEG_TEST_HEAD:
        return "JPEG copy of CIFAR-10 (every image re-encoded at quality 75)"
    if head == OFFICIAL_TEST_HEAD and len(x_test) == 1017:
        return (f"exact subset of the official CIFAR-10 files ({len(x_train):,} "
                f"training and 1,017 test images)")
    if head == OFFICIAL_TEST_HEAD:
        if fingerprint(x_test[1017:2034]) == JPEG_TEST_NEXT:
            return "JPEG copy of CIFAR-10 with the exact official rows put back"
        return "official CIFAR-10 files"
    return f"unrecognised copy of CIFAR-10 (test images {head})"


def load_cifar10():
    """Return (x_train, y_train), (x_test, y_test) as uint8 numpy arrays, and name
    the copy that was read in CIFAR10_READ."""
    global CIFAR10_READ
    folder = os.environ.get("CIFAR10_DIR")
    if folder:
        parts = [read_cifar10_batch(folder, f"data_batch_{i}") for i in range(1, 6)]
        train = (np.concatenate([images for images, _ in parts]),
                 np.concatenate([labels for _, labels in parts]))
        test = read_cifar10_batch(folder, "test_batch")
    else:
        try:
            train, test = keras.datasets.cifar10.load_data()
        except Exception as error:
            raise RuntimeError(
                f"Downloading CIFAR-10 failed ({error}). Without internet, set "
                f"CIFAR10_DIR to a local copy laid out as {CIFAR10_LAYOUT}") from None
    CIFAR10_READ = name_the_data(train[0], test[0])
    return train, test
