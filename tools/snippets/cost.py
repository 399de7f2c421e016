# @title FLOPs from the layers, and GPU peaks
# Shared cell: edit tools/snippets/cost.py and run tools/stamp_notebooks.py.
# FLOPs counted from a model's layers, and the spec-sheet peaks to set them against.
import re


def forward_flops(model):
    # 2 FLOPs per multiply-add of every Conv2D and Dense layer, for one image;
    # batch norm, ReLU, additions and pooling are a fraction of a percent.
    flops = {}
    for layer in model.layers:
        if isinstance(layer, layers.Conv2D):
            _, height, width, channels_out = layer.output.shape
            channels_in = layer.input.shape[-1]
            kernel_h, kernel_w = layer.kernel_size
            macs = height * width * kernel_h * kernel_w * channels_in * channels_out
        elif isinstance(layer, layers.Dense):
            macs = layer.input.shape[-1] * layer.units
        else:
            continue
        flops[layer.name] = 2 * macs
    return flops


def run_flops(flops_per_image, epochs, train_images, test_images):
    # Training (forward + backward, about 3x the forward pass) plus the validation
    # passes (forward only).
    return epochs * (3 * flops_per_image * train_images
                     + flops_per_image * test_images)


def training_flops(flops_per_image, epochs, used_images, train_images, test_images):
    # One planned training as the results file records it: the epochs (of the
    # `used_images` that fill whole batches) and the clean evaluation of both sets.
    return (run_flops(flops_per_image, epochs, used_images, test_images)
            + flops_per_image * (train_images + test_images))


# Vendor spec-sheet dense tensor-core peaks in TFLOP/s (no sparsity), in the
# 16-bit format used on each GPU. The first name that matches wins.
PEAK_TFLOPS = [
    ("H100 PCIe", 756, "bf16"),
    ("H100", 989, "bf16"),  # SXM
    ("H200", 989, "bf16"),
    ("A100", 312, "bf16"),
    ("L4", 121, "bf16"),
    ("T4", 65, "fp16"),
]


def peak_tflops(device_name):
    # (peak TFLOP/s, format) for a known GPU name, else (None, None).
    for key, tflops, number_format in PEAK_TFLOPS:
        if device_name and re.search(rf"\b{key}\b", device_name):
            return tflops, number_format
    return None, None


def cautious_rate(hardware):
    # FLOP/s that the first training on a machine is assumed to reach before any has
    # been measured, set low so that a deadline is not overrun: 5 % of a known GPU's
    # peak, 1 TFLOP/s on another accelerator, 40 GFLOP/s on a CPU, where only quick
    # runs train (the book's 2-core test machine: 60 to 150 GFLOP/s).
    if not hardware["accelerator"]:
        return 4e10
    peak, _ = peak_tflops(hardware["name"])
    return 0.05 * peak * 1e12 if peak else 1e12


# The utilisation assumed before anything has been measured on a GPU: a fraction of
# its spec-sheet peak that a 30-layer ResNet in mixed precision can plausibly reach.
ASSUMED_UTILISATION = 0.2


def print_plan_cost(plan, hardware, done=()):
    # What the trainings of `plan` not in `done` (keys) will cost: counted FLOPs, and
    # minutes on this GPU at ASSUMED_UTILISATION of its peak. The first training
    # corrects the estimate from its measured speed.
    left = [spec for spec in plan if spec["key"] not in set(done)]
    flops = sum(spec["flops"] for spec in left)
    print(f"to train: {len(left)} of {len(plan)} trainings, {flops / 1e15:.3g} PFLOP")
    peak, number_format = (peak_tflops(hardware["name"]) if hardware["accelerator"]
                           else (None, None))
    if peak:
        minutes = flops / (ASSUMED_UTILISATION * peak * 1e12) / 60
        print(f"on {hardware['name']}, at an assumed {ASSUMED_UTILISATION:.0%} of its "
              f"{peak} TFLOP/s {number_format} peak: about {minutes:.0f} minutes, "
              "compiling apart (corrected after the first epoch, from its speed)")
    elif hardware["accelerator"]:
        print(f"{hardware['name']}: no known peak, so no estimate before the first "
              "epoch's measured speed")
    else:
        print("no GPU: no estimate (a CPU trains only the quick run in minutes)")
