"""The CIFAR-10 loader that every chapter carries (tools/snippets/cifar10_loader.py).

It is run here exactly as a notebook runs it: the snippet's source executed in a fresh
namespace that holds `keras`. Keras itself is replaced by a stand-in, so these tests
never download anything and need no backend.
"""

import os
import pickle
import types

import numpy as np
import pytest

from book_layout import SNIPPETS

SNIPPET = (SNIPPETS / "cifar10_loader.py").read_text()
BATCHES = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]


def loader(download):
    """The snippet's namespace, with keras.datasets.cifar10.load_data = download."""
    keras = types.SimpleNamespace(
        datasets=types.SimpleNamespace(
            cifar10=types.SimpleNamespace(load_data=download)
        )
    )
    namespace = {"keras": keras}
    exec(compile(SNIPPET, "cifar10_loader.py", "exec"), namespace)
    return namespace["load_cifar10"]


def no_download():
    raise AssertionError("the loader downloaded although CIFAR10_DIR was set")


def write_batches(folder, rows=4, make_data=None):
    """Write a tiny CIFAR-10 in the official python layout; return its pixel rows."""
    batches = folder / "cifar-10-batches-py"
    batches.mkdir(parents=True)
    written = {}
    for index, name in enumerate(BATCHES):
        data = np.arange(rows * 3072, dtype=np.uint64).reshape(rows, 3072)
        data = ((data + index) % 256).astype(np.uint8)
        labels = [(index + row) % 10 for row in range(rows)]
        payload = {
            b"batch_label": name.encode(),
            b"labels": labels,
            b"data": make_data(data) if make_data else data,
        }
        (batches / name).write_bytes(pickle.dumps(payload, protocol=4))
        written[name] = (data, labels)
    return written


@pytest.fixture
def cifar10_dir(monkeypatch):
    def point_at(folder):
        monkeypatch.setenv("CIFAR10_DIR", str(folder))

    return point_at


def test_without_the_variable_it_is_the_keras_download(monkeypatch):
    monkeypatch.delenv("CIFAR10_DIR", raising=False)
    images = np.zeros((1017, 32, 32, 3), dtype=np.uint8)
    labels = np.zeros((1017, 1), dtype=np.uint8)
    download = ((images, labels), (images, labels))
    load = loader(lambda: download)
    (x_train, y_train), (x_test, y_test) = load()
    assert x_train is x_test is images and y_train is y_test is labels
    assert load.__globals__["CIFAR10_READ"].startswith("unrecognised copy of CIFAR-10")


def test_a_failed_download_names_the_variable_and_layout(monkeypatch):
    monkeypatch.delenv("CIFAR10_DIR", raising=False)

    def offline():
        raise OSError("URL fetch failure: Name or service not known")

    with pytest.raises(RuntimeError) as raised:
        loader(offline)()
    message = str(raised.value)
    assert "CIFAR10_DIR" in message and "cifar-10-batches-py" in message
    assert "Name or service not known" in message


def test_reads_the_official_layout(tmp_path, cifar10_dir):
    written = write_batches(tmp_path, rows=4)
    cifar10_dir(tmp_path)
    (x_train, y_train), (x_test, y_test) = loader(no_download)()
    assert x_train.shape == (20, 32, 32, 3) and x_train.dtype == np.uint8
    assert y_train.shape == (20, 1) and y_test.shape == (4, 1)
    assert x_test.shape == (4, 32, 32, 3)
    # Rows are stored channel-first (1024 red, 1024 green, 1024 blue values).
    data, labels = written["data_batch_2"]
    image = x_train[4]
    assert np.array_equal(image[..., 0].ravel(), data[0, :1024])
    assert np.array_equal(image[..., 2].ravel(), data[0, 2048:])
    assert y_train[4:8].ravel().tolist() == labels
    assert y_test.ravel().tolist() == written["test_batch"][1]


@pytest.mark.parametrize(
    "problem",
    [
        "missing folder",
        "missing batch",
        "not an array",
        "wrong dtype",
        "code in the pickle",
    ],
)
def test_a_malformed_folder_fails_with_one_clear_message(
    tmp_path, cifar10_dir, problem
):
    if problem == "missing folder":
        folder = tmp_path / "nowhere"
    else:
        folder = tmp_path
        make_data = {
            "not an array": lambda data: data.tolist(),
            "wrong dtype": lambda data: data.astype(np.float32),
            "code in the pickle": lambda data: os.system,
        }.get(problem)
        write_batches(folder, make_data=make_data)
        if problem == "missing batch":
            (folder / "cifar-10-batches-py" / "test_batch").unlink()
    cifar10_dir(folder)
    with pytest.raises(RuntimeError) as raised:
        loader(no_download)()
    message = str(raised.value)
    assert message.startswith("CIFAR10_DIR is set but ")
    assert "cifar-10-batches-py/{data_batch_1..5,test_batch}" in message
    if problem == "code in the pickle":
        assert "refusing to load" in message


def test_the_offline_copy_named_by_the_environment():
    """When the test run is given a real copy (CI gives the exact subset), read it."""
    if not os.environ.get("CIFAR10_DIR"):
        pytest.skip("CIFAR10_DIR is not set for this run")
    (x_train, y_train), (x_test, y_test) = loader(no_download)()
    assert x_train.shape[1:] == x_test.shape[1:] == (32, 32, 3)
    assert len(x_train) == len(y_train) >= 1000 and len(x_test) == len(y_test) >= 1000
    assert set(np.unique(y_train)) == set(range(10)) == set(np.unique(y_test))
