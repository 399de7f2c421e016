# @title Train on every GPU: the forecast, the session's limit, one worker per GPU
# Shared cell: edit tools/snippets/gpu_workers.py and run tools/stamp_notebooks.py.
# A plan's trainings are independent of each other, so a machine with several GPUs
# (Kaggle's two T4s) trains one on each at a time. The training cell starts one
# worker process per GPU (CUDA_VISIBLE_DEVICES names its GPU); each runs this
# notebook's cells so far and claims the next missing run from the shared results
# file (train_missing, several processes of one TRAIN_SESSION), and this process
# then reads the file, training nothing itself. TRAIN_WORKERS=K asks for K workers
# on any machine; on a CPU each gets a core of its own, to rehearse the split. Before
# training, print_session_plan forecasts the plan for the GPUs found and says
# whether it fits the session: on Kaggle about 12 hours, elsewhere TRAIN_DEADLINE.
import json
import math
import os
import subprocess
import sys
import tempfile
import time

KAGGLE_SESSION_HOURS = 12  # the longest a Kaggle notebook session runs
RENDER_MINUTES = 30  # kept free at the end of a session to render the page and save
WORKER_CODE = """
import json, os, sys
if os.environ.get("TRAIN_WORKER_CORE"):
    os.sched_setaffinity(0, {int(os.environ["TRAIN_WORKER_CORE"])})
import matplotlib
matplotlib.use("Agg")
space = {"__name__": "__main__", "display": lambda *args, **kwargs: None}
with open(sys.argv[1]) as file:
    cells = json.load(file)
for number, source in enumerate(cells, start=1):
    exec(compile(source, f"<cell {number} of the notebook>", "exec"), space)
"""
LAST_WORKERS = {}  # what the last start_workers did, for the rehearsal's checks


def session_started():
    # When this process started (Linux), about when a Kaggle session did.
    try:
        with open("/proc/self/stat") as file:
            ticks = int(file.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/stat") as file:
            boot = next(int(line.split()[1]) for line in file
                        if line.startswith("btime"))
        return boot + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, StopIteration):
        return time.time()


def session_deadline():
    # The time by which every training must end. On Kaggle, unless TRAIN_DEADLINE or
    # TRAIN_TIME_BUDGET says otherwise: the session's start plus 12 hours, less the
    # minutes kept to render the page; set in TRAIN_DEADLINE for every worker.
    if ("KAGGLE_KERNEL_RUN_TYPE" in os.environ and "TRAIN_DEADLINE" not in os.environ
            and "TRAIN_TIME_BUDGET" not in os.environ):
        end = session_started() + KAGGLE_SESSION_HOURS * 3600 - RENDER_MINUTES * 60
        os.environ["TRAIN_DEADLINE"] = repr(end)
    return deadline_from_environment()


def worker_count(hardware):
    # How many trainings run at once: TRAIN_WORKERS if set, else one per GPU.
    if os.environ.get("TRAIN_WORKER"):  # inside a worker
        return 1
    if os.environ.get("TRAIN_WORKERS"):
        return max(1, int(os.environ["TRAIN_WORKERS"]))
    return max(1, len(hardware["gpus"]))


def sessions_needed(durations, workers, first_budget, budget):
    # How many sessions train all of `durations`: None if one never fits in one.
    count, left, room = 0, list(durations), first_budget
    while left:
        _, rest = schedule(left, workers, room)
        if len(rest) == len(left) and room >= budget:
            return None
        count, left, room = count + 1, rest, budget
    return count


def print_session_plan(plan, hardware, done=(), utilisation=None):
    """The forecast of the trainings of `plan` not in `done` (keys) on the GPUs
    found, one training per GPU at a time, at `utilisation` of the peak (default:
    ASSUMED_UTILISATION of the cost cell); and whether they fit before the session's
    deadline, or in how many sessions (versions) that resume one another."""
    left = [spec for spec in plan if spec["key"] not in set(done)]
    workers = worker_count(hardware)
    gpus = hardware["gpus"] or [(None, hardware["name"])]
    where = (f"{len(gpus)} x {gpus[0][1]}" if len(gpus) > 1 else hardware["name"])
    if not left:
        print("every training of the plan is in the results file: nothing to train")
        return
    peak, number_format = (peak_tflops(hardware["name"]) if hardware["accelerator"]
                           else (None, None))
    flops = sum(spec["flops"] for spec in left)
    if not peak:
        print(f"{len(left)} trainings, {flops / 1e15:.3g} PFLOP, {workers} at a time "
              f"on {where}: no forecast here (no known GPU peak)")
        return
    share = utilisation or ASSUMED_UTILISATION
    compiling = FIRST_COMPILE_SECONDS["accelerator"]
    durations = [spec["flops"] / (share * peak * 1e12) + compiling for spec in left]
    wall, _ = schedule(durations, workers)
    print(f"forecast on {where}: {len(left)} trainings, {flops / 1e15:.3g} PFLOP, "
          f"{workers} at a time, at an assumed {share:.0%} of the {peak} TFLOP/s "
          f"{number_format} peak and {compiling:.0f} s of compiling each: about "
          f"{wall / 3600:.1f} h ({sum(durations) / 3600:.1f} GPU-hours)")
    deadline = session_deadline()
    if math.isinf(deadline):
        print("no session limit here (TRAIN_DEADLINE is not set)")
        return
    room = deadline - time.time()
    full = KAGGLE_SESSION_HOURS * 3600 - RENDER_MINUTES * 60
    parts = sessions_needed(durations, workers, room, max(room, full))
    said = f"session: {max(room, 0) / 3600:.1f} h left for training"
    if parts == 1:
        print(f"{said}: the plan fits")
    elif parts is None:
        print(f"{said}: one training alone takes longer than a session, so the plan "
              "cannot be trained here")
    else:
        print(f"{said}: the plan does not fit, so it is trained in about {parts} "
              "parts: this session trains what ends before the deadline, and each "
              "next one (a new version, this one's output attached as input) resumes "
              "from the results file")


def executed_cells():
    # The code of the cells this kernel has run, the current one last (IPython's
    # In), or None outside IPython (tools/run_cells.py has workers of its own).
    try:
        shell = get_ipython()
    except NameError:
        return None
    cells = shell.user_ns.get("In", []) if shell is not None else []
    return [cell for cell in cells[1:] if cell.strip()] or None


def worker_labels(count):
    # (environment, label) of each worker: its GPU, or on a CPU its own core.
    gpu_ids = [gpu_id for gpu_id, _ in HARDWARE["gpus"]]
    cores = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    places = []
    for index in range(count):
        if gpu_ids:
            gpu_id = gpu_ids[index % len(gpu_ids)]
            places.append(({"CUDA_VISIBLE_DEVICES": gpu_id}, f"GPU {gpu_id}"))
        elif len(cores) >= count:
            places.append(({"TRAIN_WORKER_CORE": str(cores[index])},
                           f"core {cores[index]}"))
        else:
            places.append(({}, f"worker {index}"))
    return places


def ledger(results, index):
    # The keys that worker `index` of this session trained, one a line.
    return f"{results.claims_path}.trained-{index}"


def start_workers(cells, count, results, poll=2.0):
    """Run `cells` in `count` worker processes at once, each up to its training,
    relaying their training lines; return the keys each trained."""
    folder = tempfile.mkdtemp(prefix="gpu-workers-")
    cells_path = os.path.join(folder, "cells.json")
    with open(cells_path, "w") as file:
        json.dump(cells, file)
    for path in [results.claims_path] + [ledger(results, i) for i in range(count)]:
        if os.path.exists(path):
            os.remove(path)
    sharing = max(1, math.ceil(count / max(1, len(HARDWARE["gpus"]))))
    workers = []
    for index, (place, label) in enumerate(worker_labels(count)):
        environment = {**os.environ, **place, "TRAIN_WORKER": str(index),
                       "TRAIN_WORKERS": str(count), "TRAIN_SESSION": SESSION,
                       "TRAIN_PROCESSES": str(sharing if HARDWARE["gpus"] else 1),
                       "MPLBACKEND": "Agg", "PYTHONUNBUFFERED": "1"}
        environment.pop("TRAIN_RENDER_ONLY", None)
        log_path = os.path.join(folder, f"worker-{index}.log")
        with open(log_path, "w") as log:
            process = subprocess.Popen([sys.executable, "-c", WORKER_CODE, cells_path],
                                       env=environment, stdout=log,
                                       stderr=subprocess.STDOUT)
        workers.append({"process": process, "label": label, "log": log_path,
                        "read": 0, "training": False})
    print(f"{count} workers started: {', '.join(w['label'] for w in workers)}",
          flush=True)
    start = time.time()

    def relay():
        # Each worker's lines from its training on, labelled.
        for worker in workers:
            with open(worker["log"], "rb") as file:
                file.seek(worker["read"])
                text = file.read()
            complete = text[:text.rfind(b"\n") + 1]
            worker["read"] += len(complete)
            for line in complete.decode(errors="replace").splitlines():
                if line.startswith("worker training on"):
                    worker["training"] = True
                elif (worker["training"] and line.strip()
                      and "runs still missing" not in line):  # others may train them
                    print(f"[{worker['label']}] {line}", flush=True)

    while any(worker["process"].poll() is None for worker in workers):
        relay()
        time.sleep(poll)
    relay()
    wall = time.time() - start
    trained = {}
    for index, worker in enumerate(workers):
        code = worker["process"].returncode
        if os.path.exists(ledger(results, index)):
            with open(ledger(results, index)) as file:
                trained[worker["label"]] = file.read().split()
        else:
            trained[worker["label"]] = []
        if code != 0:
            with open(worker["log"]) as file:
                print(f"[{worker['label']}] stopped with exit code {code}:\n"
                      + file.read()[-3000:])
    keys = [key for done in trained.values() for key in done]
    twice = sorted({key for key in keys if keys.count(key) > 1})
    records = {record["key"]: record for record in results.read()}
    seconds = sum(records[key]["finished"] - records[key]["started"]
                  for key in set(keys) if key in records)
    print(f"workers done in {wall:.0f} s: " + "; ".join(
        f"{label} trained {len(done)}" for label, done in trained.items())
        + f"; trained twice: {', '.join(twice) or 'none'}; {seconds:.0f} s of "
        f"training in {wall:.0f} s ({seconds / wall if wall else 0:.2f} at once)")
    LAST_WORKERS.update(trained=trained, twice=twice, wall=wall,
                        training_seconds=seconds,
                        codes=[worker["process"].returncode for worker in workers])
    return trained


def train_on_every_gpu(plan, train_one, results, experiment, machine, **options):
    """train_missing(plan, train_one, results, experiment, machine, **options), with
    the missing runs trained by one worker process per GPU where there are several
    (or TRAIN_WORKERS asks for workers) and this notebook runs in IPython; then the
    records of the file, as train_missing returns them."""
    index = os.environ.get("TRAIN_WORKER")
    if index is not None:  # a worker: train what it claims, then stop
        def train_and_note(spec):
            record = train_one(spec)
            with open(ledger(results, index), "a") as file:
                file.write(spec["key"] + "\n")
            return {**record, "worker": {
                "index": int(index), "workers": int(os.environ["TRAIN_WORKERS"]),
                "devices": os.environ.get("CUDA_VISIBLE_DEVICES",
                                          os.environ.get("TRAIN_WORKER_CORE", ""))}}

        print("worker training on", HARDWARE["name"], flush=True)
        train_missing(plan, train_and_note, results, experiment, machine, **options)
        raise SystemExit(0)
    count = worker_count(HARDWARE)
    cells = executed_cells()
    kept = {record["key"] for record in results.read()
            if record["experiment"] == experiment}
    missing = [spec for spec in plan if spec["key"] not in kept]
    render_only = os.environ.get("TRAIN_RENDER_ONLY", "") not in ("", "0")
    asked = bool(os.environ.get("TRAIN_WORKERS"))
    # One deadline for every worker, and for a single process too: on Kaggle, the
    # session's, whether or not the forecast knew this GPU's peak.
    session_deadline()
    if ((count < 2 and not asked) or not missing or cells is None or render_only
            or not options.get("may_train", True)):
        return train_missing(plan, train_one, results, experiment, machine, **options)
    start_workers(cells, count, results)
    os.environ["TRAIN_RENDER_ONLY"] = "1"  # the workers trained; this process reads
    try:
        return train_missing(plan, train_one, results, experiment, machine, **options)
    finally:
        del os.environ["TRAIN_RENDER_ONLY"]
