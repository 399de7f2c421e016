"""Chapter 8 studies chapter 7's trained networks when their weights file is found.

Chapter 7 keeps the final weights of its seed-1 twins with ResultsFile.keep_weights
(tools/snippets/runs.py), from the network inside its augmenting model. Here a network
of the family is kept that way, and chapter 8's own functions (read from its notebook,
not copied) must find the file and load it into a fresh network of the same shape, so
that both predict the same; a file without that network gives None, and no file, no
path.
"""

import ast
import os

import keras
import nbformat
import numpy as np
import pytest

from book_layout import NOTEBOOKS, SNIPPETS

CHAPTER8 = NOTEBOOKS / "08_inside_residual_networks.ipynb"


def chapter8_functions(space):
    # The loader functions of chapter 8's training cell, executed in `space`.
    notebook = nbformat.read(CHAPTER8, as_version=4)
    cell = next(
        c.source
        for c in notebook.cells
        if c.cell_type == "code" and "def load_chapter7" in c.source
    )
    wanted = [
        node
        for node in ast.parse(cell).body
        if isinstance(node, ast.FunctionDef)
        and node.name in ("chapter7_weights", "load_chapter7")
    ]
    assert len(wanted) == 2
    exec(compile(ast.Module(wanted, type_ignores=[]), str(CHAPTER8), "exec"), space)
    return space


@pytest.fixture
def space(tmp_path, monkeypatch):
    monkeypatch.delenv("CHAPTER7_WEIGHTS", raising=False)
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    space = {
        "keras": keras,
        "layers": keras.layers,
        "np": np,
        "os": os,
        "SESSION": "test",
        "CHAPTER7_WEIGHTS_FILE": "degradation_weights.npz",
    }
    for name in ("runs", "cifar_family"):
        exec((SNIPPETS / f"{name}.py").read_text(), space)
    return chapter8_functions(space)


def kept_like_chapter7(space, path, blocks, shortcuts, seed):
    # A network of the family inside an outer model, as chapter 7 trains it, kept
    # under chapter 7's key for seed 1.
    keras.utils.set_random_seed(seed)
    network = space["build_cifar_net"](blocks, shortcuts=shortcuts)
    image = keras.Input(shape=(32, 32, 3), name="image")
    outer = keras.Model(image, network(image))
    results = space["ResultsFile"](str(path.parent / "results.json"))
    results.keep_weights(str(path), f"{network.name}-seed1", outer.layers[-1])
    return network


def test_chapter_7s_weights_are_found_and_loaded(space, tmp_path, monkeypatch):
    assert space["chapter7_weights"]() is None  # no file anywhere
    (tmp_path / "results").mkdir()
    path = tmp_path / "results" / "degradation_weights.npz"
    kept = kept_like_chapter7(space, path, 1, True, seed=7)
    assert space["chapter7_weights"]() == os.path.join(
        "results", "degradation_weights.npz"
    )
    keras.utils.set_random_seed(8)  # a fresh network starts from other weights
    loaded = space["load_chapter7"](1, True, str(path))
    images = np.random.default_rng(0).normal(size=(4, 32, 32, 3)).astype("float32")
    assert np.allclose(
        loaded.predict(images, verbose=0), kept.predict(images, verbose=0)
    )
    # The plain twin is not in the file: None, and chapter 8 trains it.
    assert space["load_chapter7"](1, False, str(path)) is None
    elsewhere = tmp_path / "elsewhere.npz"
    path.rename(elsewhere)
    assert space["chapter7_weights"]() is None
    monkeypatch.setenv("CHAPTER7_WEIGHTS", str(elsewhere))
    assert space["chapter7_weights"]() == str(elsewhere)
