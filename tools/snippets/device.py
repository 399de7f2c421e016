# @title What this notebook runs on
# Shared cell: edit tools/snippets/device.py and run tools/stamp_notebooks.py.
# What this notebook runs on. Keras lists devices but not their model, so a GPU's
# name comes from nvidia-smi; the PyTorch backend of Keras 3.15 lists no devices.
import os
import subprocess


def visible_gpus():
    # [(id for CUDA_VISIBLE_DEVICES, model name)] of the GPUs this process may use,
    # from nvidia-smi (which lists them all, whatever CUDA_VISIBLE_DEVICES says).
    try:
        result = subprocess.run(
            ["nvidia-smi", "--query-gpu=index,uuid,name", "--format=csv,noheader"],
            capture_output=True, text=True, timeout=20, check=True)
    except (OSError, subprocess.SubprocessError):
        return []
    rows = [[part.strip() for part in line.split(",", 2)]
            for line in result.stdout.strip().splitlines() if line.count(",") >= 2]
    chosen = os.environ.get("CUDA_VISIBLE_DEVICES")
    if chosen is None:
        return [(index, name) for index, _, name in rows]
    by_id = {key: (index, name) for index, uuid, name in rows for key in (index, uuid)}
    return [by_id[key] for key in (part.strip() for part in chosen.split(","))
            if key in by_id]


def gpu_model_name():
    # The first GPU's model name from nvidia-smi, or None where there is none.
    gpus = visible_gpus()
    return gpus[0][1] if gpus else None


# Several GPUs: each process takes GPU memory as it needs it (TensorFlow and JAX would
# otherwise take most of every GPU at once), so that one training process per GPU
# fits beside this notebook's own (tools/snippets/gpu_workers.py). Read when the
# backend first touches a GPU, which the device listing below does.
GPUS = visible_gpus()
if len(GPUS) > 1:
    os.environ.setdefault("TF_FORCE_GPU_ALLOW_GROWTH", "true")
    os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")


def describe_hardware():
    """{'name', 'class', 'accelerator', 'devices', 'gpus'} of the machine running
    this; 'gpus' lists (id, model name) of every GPU it may use."""
    try:
        devices = keras.distribution.list_devices()
    except AttributeError:  # the PyTorch backend has no device listing
        devices = []
    accelerators = [device for device in devices if not device.startswith("cpu")]
    gpus = GPUS if accelerators or not devices else []
    name = gpus[0][1] if gpus else None
    if accelerators and not name:
        name = accelerators[0]
    if name:
        return {"name": name, "class": name, "accelerator": True, "devices": devices,
                "gpus": gpus}
    return {"name": f"CPU, {os.cpu_count()} cores", "class": "CPU",
            "accelerator": False, "devices": devices, "gpus": []}


HARDWARE = describe_hardware()
print("Keras:   ", keras.__version__)
print("backend: ", keras.backend.backend())
print("devices: ", ", ".join(HARDWARE["devices"]) or "(not listed by this backend)")
print("hardware:", HARDWARE["name"])
if len(HARDWARE["gpus"]) > 1:
    print("GPUs:    ", len(HARDWARE["gpus"]), "(" + ", ".join(
        f"{gpu_id}: {name}" for gpu_id, name in HARDWARE["gpus"]) + ")")
