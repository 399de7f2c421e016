# CIFAR-10 loader. With internet (Colab, most laptops) this is just
# keras.datasets.cifar10.load_data(). Offline, set the environment variable
# CIFAR10_DIR to a folder holding cifar-10-batches-py/ (the official python
# version: data_batch_1 ... data_batch_5, test_batch) and it is read from there.
import os
import pickle

import numpy as np

CIFAR10_LAYOUT = "CIFAR10_DIR/cifar-10-batches-py/{data_batch_1..5,test_batch}"


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


def load_cifar10():
    """Return (x_train, y_train), (x_test, y_test) as uint8 numpy arrays."""
    folder = os.environ.get("CIFAR10_DIR")
    if not folder:
        try:
            return keras.datasets.cifar10.load_data()
        except Exception as error:
            raise RuntimeError(
                f"Downloading CIFAR-10 failed ({error}). Without internet, set "
                f"CIFAR10_DIR to a local copy laid out as {CIFAR10_LAYOUT}") from None
    parts = [read_cifar10_batch(folder, f"data_batch_{i}") for i in range(1, 6)]
    x_train = np.concatenate([images for images, _ in parts])
    y_train = np.concatenate([labels for _, labels in parts])
    return (x_train, y_train), read_cifar10_batch(folder, "test_batch")
