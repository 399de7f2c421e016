# @title FLOPs from the layers, and GPU peaks
# Shared cell: edit tools/snippets/cost.py and run tools/stamp_notebooks.py.
# FLOPs counted from a model's layers, and the spec-sheet peaks to set them against.
import math
import re
import statistics


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


def training_flops(flops_per_image, epochs, used_images, train_images, test_images,
                   clean_passes=0):
    # One planned training as the results file records it: the epochs (of the
    # `used_images` that fill whole batches), the clean evaluations of the training
    # set after `clean_passes` of the epochs, and the final clean evaluation of both.
    return (run_flops(flops_per_image, epochs, used_images, test_images)
            + flops_per_image * (clean_passes * train_images + train_images
                                 + test_images))


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
    # peak, 1 TFLOP/s on another accelerator, 20 GFLOP/s on a CPU, where only quick
    # runs train (the book's 2-core test machine: 60 to 150 GFLOP/s for one process,
    # but about 36 GFLOP/s together for the GPU rehearsal's 3 JAX processes).
    if not hardware["accelerator"]:
        return 2e10
    peak, _ = peak_tflops(hardware["name"])
    return 0.05 * peak * 1e12 if peak else 1e12


# The utilisation that print_session_plan assumes to split a plan over a session's
# GPUs, where nothing has been measured on them: a guess, printed as one.
ASSUMED_UTILISATION = 0.2
# The GPU classes every forecast covers, each with its peak's source: NVIDIA's
# datasheets (dense tensor-core TFLOP/s, no sparsity; the H100's is the SXM card's).
FORECAST_GPUS = [("T4", "Tesla T4", "NVIDIA T4 datasheet"),
                 ("A100", "A100", "NVIDIA A100 datasheet"),
                 ("H100", "H100 SXM", "NVIDIA H100 datasheet")]


def gpu_class(device_name):
    # "T4", "A100" or "H100" for a device of one of the forecast's classes, else None.
    for label, _, _ in FORECAST_GPUS:
        if device_name and re.search(rf"\b{label}\b", device_name):
            return label
    return None


def network_of(item):
    # The network a plan's spec or a record trains ("" where a chapter names none).
    return item.get("network", "")


def measured_utilisation(records):
    """{(network, GPU class): (fraction of peak, runs, device)} from the records of
    full-size trainings on a GPU whose peak is known: the steady epoch's counted
    FLOPs over its seconds, over the peak. Quick runs measure nothing."""
    found = {}
    for record in records:
        settings = record.get("experiment", {}).get("settings", {})
        device = record.get("machine", {}).get("device", "")
        peak, _ = peak_tflops(device)
        label = gpu_class(device)
        if (settings.get("quick_run", True) or not peak or not label
                or not record.get("steady_epoch_seconds")
                or not record.get("flops_per_image")):
            continue
        work = run_flops(record["flops_per_image"], 1,
                         record["steps_per_epoch"] * record["batch_size"],
                         settings["test_images"])
        fraction = work / record["steady_epoch_seconds"] / (peak * 1e12)
        found.setdefault((network_of(record), label), []).append((fraction, device))
    return {key: (float(statistics.median(f for f, _ in values)), len(values),
                  values[0][1]) for key, values in found.items()}


def duration_text(seconds):
    if seconds < 60:
        return f"{seconds:.2g} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def schedule(durations, workers, budget=math.inf):
    # Plan order, each training on the worker that is free first, as the workers
    # claim them; one that would end after `budget` seconds is left for later.
    # (seconds until the last ends, durations left over)
    free, left = [0.0] * workers, []
    for seconds in durations:
        first = free.index(min(free))
        if free[first] + seconds <= budget:
            free[first] += seconds
        else:
            left.append(seconds)
    return max(free), left


def two_gpu_text(plan, measured, label="T4", name="Tesla T4"):
    # The wall time and GPU-hours of `plan` on two GPUs of one class, one training on
    # each at a time in plan order, as the workers take them (schedule); at the
    # measured utilisation, or at the peak (a lower bound, >=) where none is known.
    peak = peak_tflops(name)[0] * 1e12
    known = all((network_of(spec), label) in measured for spec in plan)
    durations = [spec["flops"] / (peak * (
        measured[network_of(spec), label][0] if known else 1.0)) for spec in plan]
    wall, _ = schedule(durations, 2)
    mark = "~ " if known else ">= "
    return (f"{mark}{duration_text(wall)} of wall time, {mark}"
            f"{sum(durations) / 3600:.2g} GPU-hours")


def print_forecasts(sizes, records=()):
    """The forecast of each run size (sizes: {size: its plan}) on a T4, an A100 and
    an H100: counted FLOPs (training, validation and every clean evaluation) over the
    GPU's peak times the utilisation measured for that network on that class, or,
    where no record of that class exists, the time at the peak itself: a lower bound
    (marked >=), since no network reaches its GPU's peak."""
    measured = measured_utilisation(records)
    networks = sorted({network_of(spec) for plan in sizes.values()
                       for spec in plan})
    print("forecast of each run size, from counted FLOPs (training, validation, clean "
          "evaluations), compiling apart:")
    print(f"{'size':<8}{'trainings':>10}{'PFLOP':>10}" + "".join(
        f"{f'{label} ({peak_tflops(name)[0]} {peak_tflops(name)[1]})':>20}"
        for label, name, _ in FORECAST_GPUS))
    for size, plan in sizes.items():
        cells = []
        for label, name, _ in FORECAST_GPUS:
            peak = peak_tflops(name)[0] * 1e12
            known = all((network_of(spec), label) in measured for spec in plan)
            seconds = sum(spec["flops"] / (peak * (
                measured[network_of(spec), label][0] if known else 1.0))
                for spec in plan)
            cells.append(("~ " if known else ">= ") + duration_text(seconds))
        flops = sum(spec["flops"] for spec in plan)
        print(f"{size:<8}{len(plan):>10}{flops / 1e15:>10.3g}"
              + "".join(f"{cell:>20}" for cell in cells))
    print("on Kaggle's two T4s, one training on each at a time: " + "; ".join(
        f"{size} {two_gpu_text(plan, measured)}" for size, plan in sizes.items()))
    for label, _, source in FORECAST_GPUS:
        said = []
        for network in networks:
            named = network or "these networks"  # a plan whose specs name no network
            if (network, label) in measured:
                fraction, count, device = measured[network, label]
                said.append(f"{named} {fraction:.1%} (measured: {count} full-size "
                            f"runs on {device})")
            else:
                said.append(f"{named} not measured on this class yet (>=: the time "
                            "at the peak, a lower bound)")
        print(f"utilisation, {label}: {'; '.join(said)}; peak from the {source}")


def print_plan_cost(plan, hardware, done=(), sizes=None, records=()):
    """What the trainings of `plan` not in `done` (keys) will cost: counted FLOPs,
    and on this GPU minutes at the utilisation measured for these networks on its
    class (records), or, with none measured, the time at its peak: a lower bound.
    The first training corrects the estimate from its measured speed. With `sizes`
    ({size: plan}), the forecast of every run size on a T4, an A100 and an H100."""
    left = [spec for spec in plan if spec["key"] not in set(done)]
    flops = sum(spec["flops"] for spec in left)
    print(f"to train: {len(left)} of {len(plan)} trainings, {flops / 1e15:.3g} PFLOP")
    peak, number_format = (peak_tflops(hardware["name"]) if hardware["accelerator"]
                           else (None, None))
    measured = measured_utilisation(records)
    label = gpu_class(hardware["name"]) if hardware["accelerator"] else None
    if peak and left and all((network_of(spec), label) in measured for spec in left):
        seconds = sum(spec["flops"] / measured[network_of(spec), label][0]
                      for spec in left) / (peak * 1e12)
        print(f"on {hardware['name']}, at the utilisation measured on this class of "
              f"GPU: about {seconds / 60:.0f} minutes, compiling apart")
    elif peak:
        minutes = flops / (peak * 1e12) / 60
        print(f"on {hardware['name']}: no utilisation of these networks measured on "
              f"this class of GPU yet; at its {peak} TFLOP/s {number_format} peak "
              f"(spec sheet) at least {minutes:.0f} minutes, compiling apart "
              "(the first epoch's measured speed corrects this)")
    elif hardware["accelerator"]:
        print(f"{hardware['name']}: no known peak, so no estimate before the first "
              "epoch's measured speed")
    else:
        print("no GPU: no estimate (a CPU trains only the quick run in minutes)")
    if sizes:
        print_forecasts(sizes, records)
