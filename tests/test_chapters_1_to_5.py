"""What chapters 1 to 5 say about their models, checked against the models themselves.

Chapter 3 counts the layers with weights of its ResNet-20 and lists its layers with
their parameters. This test builds that network from the notebook's own code cells
(the definitions of `ResidualBlock` and `build_resnet20`, taken out of the cells that
define them), counts the layers with weights by walking every layer, nested ones
included, and checks the count and the table's total against what the stored outputs
and the summary say.
"""

import ast
import re

import keras
import nbformat
from keras import layers

from book_layout import NOTEBOOKS
from run_cells import code_cells

CHAPTER_3 = NOTEBOOKS / "03_residual_block.ipynb"


def definitions(path, *names) -> dict:
    """A namespace holding the top-level functions and classes called `names`,
    compiled from the code cells of the notebook at `path`."""
    namespace = {"keras": keras, "layers": layers}
    found = set()
    for cell in code_cells(path):
        tree = ast.parse(cell["source"])
        nodes = [
            node
            for node in tree.body
            if isinstance(node, ast.FunctionDef | ast.ClassDef) and node.name in names
        ]
        if nodes:
            module = ast.Module(body=nodes, type_ignores=[])
            exec(compile(module, str(path), "exec"), namespace)
            found.update(node.name for node in nodes)
    assert found == set(names), f"not defined in {path.name}: {set(names) - found}"
    return namespace


def layers_with_weights(model) -> list:
    """Every convolution and dense layer of `model`, at any depth of nesting."""
    found, todo = [], list(model.layers)
    while todo:
        layer = todo.pop()
        if isinstance(layer, layers.Conv2D | layers.Dense):
            found.append(layer)
        todo.extend(layer._flatten_layers(include_self=False, recursive=False))
    return found


def stored_output(path, marker) -> str:
    """The text a code cell of the notebook printed, the first that contains
    `marker`."""
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type != "code":
            continue
        text = "".join(
            output.get("text", "") for output in cell.outputs if "text" in output
        )
        if marker in text:
            return text
    raise AssertionError(f"no stored output of {path.name} contains {marker!r}")


def test_chapter_3_counts_the_layers_of_its_resnet20_from_the_model():
    space = definitions(CHAPTER_3, "ResidualBlock", "build_resnet20")
    resnet20 = space["build_resnet20"]()
    weighted = layers_with_weights(resnet20)
    projections = [layer for layer in weighted if layer.name == "projection"]
    main_path = len(weighted) - len(projections)
    # He et al.'s count: the stem, two convolutions in each of 9 blocks, the classifier.
    assert main_path == 1 + 2 * 9 + 1 == 20
    assert len(projections) == 2  # where stages 2 and 3 begin

    printed = stored_output(CHAPTER_3, "layers with weights:")
    assert (
        f"layers with weights: {len(weighted)} ({main_path} on the main path, "
        f"{len(projections)} projections)" in printed
    )
    total = re.search(r"^total\s+([\d,]+)$", printed, flags=re.MULTILINE)
    assert total and int(total.group(1).replace(",", "")) == resnet20.count_params()

    summary = next(
        cell.source
        for cell in nbformat.read(CHAPTER_3, as_version=4).cells
        if cell.cell_type == "markdown" and cell.source.startswith("## Summary")
    )
    assert re.search(
        rf"{main_path} layers\s+with weights on the main path and "
        rf"{len(projections)} projections",
        summary,
    )
