# Shared cell: edit tools/snippets/device.py and run tools/stamp_notebooks.py.
# What this notebook runs on. Keras lists devices but not their model, so a GPU's
# name comes from nvidia-smi; the PyTorch backend of Keras 3.15 lists no devices.
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


FLOAT16_ONLY_GPUS = ("T4", "V100", "P100", "K80")  # no fast bfloat16 units


def choose_precision(hardware):
    # bfloat16 where the GPU has fast units for it, float16 on older GPUs (Keras
    # adds loss scaling by itself), float32 on a CPU.
    if not hardware["accelerator"]:
        return "float32"
    if any(model in hardware["name"] for model in FLOAT16_ONLY_GPUS):
        return "mixed_float16"
    return "mixed_bfloat16"
