# Shared cell: edit tools/snippets/install.py and run tools/stamp_notebooks.py.
# Install what this notebook imports, only where it is missing: Colab and the book's
# own environment (requirements.txt) have it all, so this usually does nothing.
import importlib.util
import subprocess
import sys

needed = {"keras": "keras>=3", "matplotlib": "matplotlib", "pydot": "pydot"}
missing = [spec for module, spec in needed.items()
           if importlib.util.find_spec(module) is None]
if missing:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", *missing], check=True)
