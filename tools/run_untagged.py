"""Run one notebook top to bottom as a reader's "Run all" does, and fail on any error.

    python tools/run_untagged.py NOTEBOOK.ipynb

Every cell tag is removed first, so a cell tagged `raises-exception` stops the run as it
stops Colab and JupyterLab. The notebook runs in the current directory, on a kernel of
the interpreter that runs this script (the test suite calls it with .venv-colab's:
Colab's own versions, which are also the lower bounds of requirements.txt), and
nothing is written back. It prints one line per
version line of the notebook's own device cell (what the kernel really imported), then
the number of cells run; on an exception it prints the cell and the error and exits 1.

It imports only nbformat and nbclient, so it runs in an environment that holds the
notebooks' packages and those two alone (requirements-colab.txt).
"""

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

CELL_TIMEOUT_S = 600


def main() -> int:
    path = Path(sys.argv[1])
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        cell.metadata.pop("tags", None)
    # "python3" is this interpreter's own kernel: jupyter_client starts a kernel
    # spec's "python" as sys.executable.
    client = NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT_S,
        kernel_name="python3",
        resources={"metadata": {"path": str(Path.cwd())}},
    )
    try:
        client.execute()
    except CellExecutionError as error:
        print(f"{path.name}: a cell raised\n{error}")
        return 1
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            for line in output.get("text", "").splitlines():
                if line.startswith(("Keras:", "backend:")):
                    print(line)
    code_cells = sum(cell.cell_type == "code" for cell in notebook.cells)
    print(f"{path.name}: {code_cells} code cells ran without an exception")
    return 0


if __name__ == "__main__":
    sys.exit(main())
