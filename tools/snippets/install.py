# @title Install what is missing
# Shared cell: edit tools/snippets/install.py and run tools/stamp_notebooks.py.
# Install what this notebook imports, only where it is missing or too old: Colab and
# the book's own environment (requirements.txt) have it all, so this usually does
# nothing. An older Keras (Keras 2, or a Keras 3 before 3.13.2) is upgraded.
import importlib.metadata
import importlib.util
import re
import subprocess
import sys

KERAS_MINIMUM = (3, 13, 2)  # the oldest Keras the book is tested with (Colab's)


def installed_version(distribution):
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def keras_to_install(version):
    # A pip requirement if the Keras `version` found (None: none) is older than the
    # book's minimum, else None.
    if version is not None:
        parts = re.findall(r"\d+", version)[: len(KERAS_MINIMUM)]
        if tuple(int(part) for part in parts) >= KERAS_MINIMUM:
            return None
    return "keras>=" + ".".join(str(part) for part in KERAS_MINIMUM)


found_keras = installed_version("keras")
needed = {"matplotlib": "matplotlib", "pydot": "pydot", "scipy": "scipy"}
missing = [spec for module, spec in needed.items()
           if importlib.util.find_spec(module) is None]
if keras_to_install(found_keras):
    missing.append(keras_to_install(found_keras))
if missing:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", *missing], check=True)
if found_keras and keras_to_install(found_keras):
    print(f"Keras {found_keras} was upgraded to {installed_version('keras')}: restart "
          "the runtime (Colab: Runtime > Restart session) and run the notebook again.")
