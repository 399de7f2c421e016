# @title What this notebook runs on
# Shared cell: edit tools/snippets/device.py and run tools/stamp_notebooks.py.
# What this notebook runs on. Keras lists devices but not their model, so a GPU's
# name comes from nvidia-smi; the PyTorch backend of Keras 3.15 lists no devices.
import os
import subprocess


def gpu_model_name():
    # The first GPU's model name from nvidia-smi, or None where there is none.
    try:
        result = subprocess.run(
            ["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"],
            capture_output=True, text=True, timeout=20, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    names = result.stdout.strip().splitlines()
    return names[0].strip() if names else None


def describe_hardware():
    """{'name', 'class', 'accelerator', 'devices'} of the machine running this."""
    try:
        devices = keras.distribution.list_devices()
    except AttributeError:  # the PyTorch backend has no device listing
        devices = []
    accelerators = [device for device in devices if not device.startswith("cpu")]
    name = gpu_model_name() if accelerators or not devices else None
    if accelerators and not name:
        name = accelerators[0]
    if name:
        return {"name": name, "class": name, "accelerator": True, "devices": devices}
    return {"name": f"CPU, {os.cpu_count()} cores", "class": "CPU",
            "accelerator": False, "devices": devices}


HARDWARE = describe_hardware()
print("Keras:   ", keras.__version__)
print("backend: ", keras.backend.backend())
print("devices: ", ", ".join(HARDWARE["devices"]) or "(not listed by this backend)")
print("hardware:", HARDWARE["name"])
