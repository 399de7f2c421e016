# @title Precision for this GPU
# Shared cell: edit tools/snippets/precision.py and run tools/stamp_notebooks.py.
FLOAT16_ONLY_GPUS = ("T4", "V100", "P100", "K80")  # no fast bfloat16 units


def choose_precision(hardware):
    # bfloat16 where the GPU has fast units for it, float16 on older GPUs (Keras
    # adds loss scaling by itself), float32 on a CPU.
    if not hardware["accelerator"]:
        return "float32"
    if any(model in hardware["name"] for model in FLOAT16_ONLY_GPUS):
        return "mixed_float16"
    return "mixed_bfloat16"
