# @title Plumbing: results file, resuming, deadlines
# Shared cell: edit tools/snippets/runs.py and run tools/stamp_notebooks.py.
# The plumbing of a chapter that trains: batches of one shape, what a record says of
# the machine and the data, and a results file that a cut-off run resumes from.
import hashlib
import importlib.metadata
import json
import platform
import tempfile
import time

try:
    import fcntl  # POSIX only: lets several processes share one results file
except ImportError:
    fcntl = None

def describe_data(x_train, x_test, num_train, num_test):
    # The record's data entry: the copy, and the images this run uses.
    return {"name": name_the_data(x_train, x_test),
            "train_images": num_train, "test_images": num_test,
            "train_sha256": fingerprint(x_train[:num_train]),
            "test_sha256": fingerprint(x_test[:num_test])}


def largest_divisor(number, at_most):
    # The largest batch size <= at_most that splits `number` images evenly.
    return max(d for d in range(1, min(number, at_most) + 1) if number % d == 0)


class TrainBatches(keras.utils.PyDataset):
    """Shuffled training batches, all of one size so the step compiles once.

    Each epoch draws a new order; the len(x) % batch_size images left over at its
    end (a different few each epoch) are not used in that epoch."""

    def __init__(self, x, y, batch_size, seed):
        super().__init__()
        self.x, self.y, self.batch_size = x, y, batch_size
        self.generator = np.random.default_rng(seed)
        self.order = self.generator.permutation(len(x))

    def __len__(self):
        return len(self.x) // self.batch_size

    def __getitem__(self, index):
        part = self.order[index * self.batch_size:(index + 1) * self.batch_size]
        return self.x[part], self.y[part]

    def on_epoch_end(self):
        self.order = self.generator.permutation(len(self.x))


class CleanTrainingFit(keras.callbacks.Callback):
    # The whole training set evaluated in inference mode (no augmentation, batch
    # normalisation's moving statistics) after the epochs listed (1-based): how well
    # the weights of that moment fit it, which fit's running average cannot say.
    def __init__(self, x, y, eval_batch, epochs):
        super().__init__()
        self.x, self.y, self.eval_batch = x, y, eval_batch
        self.found = {"epochs": [], "train_loss": [], "train_accuracy": [],
                      "seconds": 0.0}
        self.epochs = set(epochs)

    def on_epoch_end(self, epoch, logs=None):
        if epoch + 1 not in self.epochs:
            return
        start = time.perf_counter()
        loss, accuracy = self.model.evaluate(self.x, self.y, batch_size=self.eval_batch,
                                             verbose=0)
        self.found["epochs"].append(epoch + 1)
        self.found["train_loss"].append(float(loss))
        self.found["train_accuracy"].append(float(accuracy))
        self.found["seconds"] += time.perf_counter() - start


# What train_missing is about to train: this training's spec and the FLOPs of the
# trainings left (this one included), for the forecast after the first measured epoch.
FORECAST = {"spec": None, "count": 0, "flops_left": 0.0, "said": False}


class Forecast(keras.callbacks.Callback):
    # Once per process, after the second epoch of its first training (the first epoch
    # also compiles), the time left at the speed just measured by `timer`.
    def __init__(self, timer, epochs):
        super().__init__()
        self.timer, self.epochs = timer, epochs

    def on_epoch_end(self, epoch, logs=None):
        spec = FORECAST["spec"]
        if (FORECAST["said"] or spec is None or not spec.get("flops")
                or epoch != min(1, self.epochs - 1)):
            return
        FORECAST["said"] = True
        seconds = self.timer.seconds[-1]
        if globals().get("QUICK_RUN"):  # the chapter's flag: a quick run projects
            unit = "epoch" if self.epochs == 1 else "epochs"
            print(f"measured: epoch {epoch + 1} took {seconds:.1f} s; the time left at "
                  f"that speed: not computed (quick run: {NUM_TRAIN:,} images, "
                  f"{self.epochs} {unit})")
            return
        rate = spec["flops"] / self.epochs / seconds  # FLOP/s, validation included
        print(f"measured: epoch {epoch + 1} took {seconds:.1f} s, {rate / 1e12:.3g} "
              f"TFLOP/s; at that speed this training ends in about "
              f"{(self.epochs - epoch - 1) * seconds / 60:.1f} min, and the "
              f"{FORECAST['count']} still to train (this one included) about "
              f"{FORECAST['flops_left'] / rate / 60:.0f} min, compiling apart")


def fit_and_record(model, train, test, batch_size, epochs, seed, eval_batch,
                   hardware, verbose=0, clean_epochs=()):
    """Fit on shuffled whole batches, validating on `test` after every epoch, then
    evaluate on both sets in inference mode; return what the record keeps. The
    training set is also evaluated in inference mode after each epoch of
    `clean_epochs` (1-based), outside the epoch times."""
    (x_train, y_train), (x_test, y_test) = train, test
    check_compiled(model, hardware)
    timer = EpochTimer()
    guard = StopBeforeDeadline(deadline_from_environment(), epochs)
    during = CleanTrainingFit(x_train, y_train, eval_batch, clean_epochs)
    batches = TrainBatches(x_train, y_train, batch_size, seed)
    start = time.perf_counter()
    history = model.fit(batches, epochs=epochs, validation_data=(x_test, y_test),
                        validation_batch_size=eval_batch,
                        callbacks=[timer, guard, Forecast(timer, epochs), during],
                        verbose=verbose)
    fit_seconds = time.perf_counter() - start
    if guard.missed:
        raise DeadlineMissed(guard.missed)
    start = time.perf_counter()
    clean = {}
    for part, x, y in (("train", x_train, y_train), ("test", x_test, y_test)):
        loss, accuracy = model.evaluate(x, y, batch_size=eval_batch, verbose=0)
        clean[f"{part}_loss"], clean[f"{part}_accuracy"] = float(loss), float(accuracy)
    seconds = timer.seconds
    steady = float(np.median(seconds[1:] if len(seconds) > 1 else seconds))
    compiling = compile_seconds(seconds)
    return {
        "network": model.name, "seed": seed, "parameters": model.count_params(),
        "jit_compile": bool(model.jit_compile),
        "history": {key: [float(value) for value in values]
                    for key, values in history.history.items()},
        "epoch_seconds": seconds, "fit_seconds": fit_seconds,
        "compile_seconds": compiling,
        "train_seconds": fit_seconds - (compiling or 0.0),
        "steady_epoch_seconds": steady,
        "images_per_second": len(batches) * batch_size / steady,
        "clean": clean, "clean_eval_seconds": time.perf_counter() - start,
        "clean_during": during.found,
        "steps_per_epoch": len(batches), "batch_size": batch_size,
        "steps_per_execution": int(getattr(model, "steps_per_execution", 1) or 1),
        "eval_batch_size": eval_batch, "epochs": epochs,
    }


class DeadlineMissed(RuntimeError):
    """A training stopped early because it would have ended after the deadline."""


class StopBeforeDeadline(keras.callbacks.Callback):
    # From the second epoch on (the first also compiles), project the end of the
    # training from the last epoch's time, one more epoch's worth standing for the
    # clean evaluation; stop it if that end falls after the deadline. A training
    # whose estimate was wrong loses its own time, not the rest of the window.
    def __init__(self, deadline, epochs):
        super().__init__()
        self.deadline, self.epochs, self.missed = deadline, epochs, None

    def on_epoch_begin(self, epoch, logs=None):
        self.began = time.time()

    def on_epoch_end(self, epoch, logs=None):
        now = time.time()
        left = self.epochs - epoch - 1
        end = now + (left + 1) * (now - self.began)
        if left and (epoch >= 1 or now > self.deadline) and end > self.deadline:
            self.missed = (f"stopped after epoch {epoch + 1} of {self.epochs}: it "
                           f"would end {end - self.deadline:.0f} s after the deadline")
            self.model.stop_training = True


def check_compiled(model, hardware):
    # On an accelerator, a step that is not compiled runs op by op, many times
    # slower: stop instead of spending the GPU's time that way.
    if hardware["accelerator"] and not model.jit_compile:
        raise RuntimeError(
            f"{model.name} would train without a compiled step on "
            f"{hardware['name']} ({keras.backend.backend()}): some layer sets "
            "supports_jit = False. Replace it before training.")


def software():
    # Backend and versions, for every record.
    backend = keras.backend.backend()
    packages = {"tensorflow": ("tensorflow", "tensorflow-cpu"), "jax": ("jax",),
                "torch": ("torch",), "numpy": ("numpy",)}.get(backend, ())
    version = "unknown"
    for package in packages:
        try:
            version = importlib.metadata.version(package)
            break
        except importlib.metadata.PackageNotFoundError:
            pass
    return {"backend": backend, "backend_version": version,
            "keras": keras.__version__, "python": platform.python_version()}


# One id for this training session; a runner that trains in several processes at
# once gives them all the same TRAIN_SESSION (and TRAIN_PROCESSES, their number).
SESSION = os.environ.get("TRAIN_SESSION") or (
    time.strftime("%Y%m%dT%H%M%S", time.gmtime()) + f"-{os.getpid()}")


def describe_machine(hardware, precision):
    # The record's machine entry: software, device and precision of this session.
    return {**software(), "device": hardware["name"], "device_class": hardware["class"],
            "precision": precision, "session": SESSION}


class RunsIncomplete(RuntimeError):
    """Raised when a time budget stopped training before the page had a result."""


class ResultsFile:
    """The run records of one chapter: a JSON list, written after every training.

    Several processes may train one chapter's runs side by side: each adds its
    records under a lock, re-reading the file first, and replaces the file whole.
    Under the same lock a process claims the next run it trains, so that no two
    processes of one session train the same run, and keeps trained weights in an
    .npz file beside the results (one array per variable, `key/variable path`)."""

    def __init__(self, path):
        self.path = path
        digest = hashlib.sha256(os.path.abspath(path).encode()).hexdigest()[:12]
        self.lock_path = os.path.join(tempfile.gettempdir(), f"results-{digest}.lock")
        self.claims_path = os.path.join(tempfile.gettempdir(),
                                        f"results-{digest}-{SESSION}.claims")

    def read(self):
        # The records, checked as they are read back: a file cut short (a Drive that
        # had not finished syncing, a download that stopped) stops the run with its
        # name instead of being trained over.
        if not os.path.exists(self.path):
            return []
        with open(self.path) as file:
            text = file.read()
        try:
            records = json.loads(text)
        except json.JSONDecodeError as error:
            raise RuntimeError(
                f"{self.path} is not a whole results file ({error}): put back a copy "
                "you downloaded, or move it away to train its runs again") from None
        if not isinstance(records, list) or not all(
                isinstance(record, dict) and {"key", "experiment"} <= set(record)
                for record in records):
            raise RuntimeError(f"{self.path} does not hold a list of run records")
        return records

    def locked(self):
        lock = open(self.lock_path, "w")
        if fcntl:
            fcntl.flock(lock, fcntl.LOCK_EX)
        return lock  # closing it releases the lock

    def add(self, record):
        with self.locked():
            records = [old for old in self.read()
                       if (old["key"], old["experiment"])
                       != (record["key"], record["experiment"])]
            records.append(record)
            temporary = f"{self.path}.{os.getpid()}.tmp"
            with open(temporary, "w") as file:
                json.dump(records, file, indent=1)
            os.replace(temporary, self.path)

    def claim(self, specs, experiment, fits):
        # The first of `specs` that no record holds, no process of this session has
        # claimed, and `fits(spec)` allows; claimed for this process. None if none.
        with self.locked():
            done = {record["key"] for record in self.read()
                    if record["experiment"] == experiment}
            claimed = []
            if os.path.exists(self.claims_path):
                with open(self.claims_path) as file:
                    claimed = json.load(file)
            for spec in specs:
                if spec["key"] in done or spec["key"] in claimed or not fits(spec):
                    continue
                with open(self.claims_path, "w") as file:
                    json.dump(claimed + [spec["key"]], file)
                return spec
        return None

    def keep_weights(self, weights_path, key, model):
        # Add one trained model's variables (float32) to the .npz file of weights.
        arrays = {f"{key}/{variable.path}": np.asarray(
            keras.ops.convert_to_numpy(keras.ops.copy(variable)), "float32")
            for variable in model.weights}
        with self.locked():
            if os.path.exists(weights_path):
                with np.load(weights_path) as kept:
                    arrays = {**{name: kept[name] for name in kept.files
                                 if not name.startswith(f"{key}/")}, **arrays}
            temporary = f"{weights_path}.{os.getpid()}.tmp.npz"
            np.savez(temporary, **arrays)
            os.replace(temporary, weights_path)


def load_weights(weights_path, key, model):
    # Put the weights kept for `key` into a model built like the trained one.
    with np.load(weights_path) as kept:
        for variable in model.weights:
            variable.assign(kept[f"{key}/{variable.path}"])
    return model


# What a study may mix: runs of one backend and one precision, on any device.
LIKE_MACHINE = ("backend", "precision")
# Before a training has been measured on this device, the next one is guarded by
# the FLOP/s the chapter passes (cautious_rate, in the shared cost cell) and these
# seconds of compiling, for one process on a core of its own (first_compile_seconds).
FIRST_COMPILE_SECONDS = {"accelerator": 120.0, "cpu": 10.0}


def first_compile_seconds(accelerator, processes, cores):
    # Compiling runs on the host's cores, which the processes of a window share: more
    # processes than cores compile that many times slower. (The GPU rehearsal on the
    # 2-core test machine, 3 processes, cold JAX cache: 12.4 to 13.4 s, not 10 s.)
    first = FIRST_COMPILE_SECONDS["accelerator" if accelerator else "cpu"]
    return first * max(1.0, processes / max(cores or 1, 1))


def deadline_from_environment():
    """The time (time.time()) by which every training must have ended: TRAIN_DEADLINE
    (a Unix time shared by every process of a window), or TRAIN_TIME_BUDGET seconds
    from the first reading, which sets TRAIN_DEADLINE so that later readings count
    to the same moment; inf if neither is set."""
    deadline = float(os.environ.get("TRAIN_DEADLINE", "inf"))
    budget = os.environ.pop("TRAIN_TIME_BUDGET", None)
    if budget is not None:
        deadline = min(deadline, time.time() + float(budget))
        os.environ["TRAIN_DEADLINE"] = repr(deadline)
    return deadline


def estimate_seconds(spec, measured, first_rate, first_compile, processes=1):
    """Seconds that training `spec` will take, from its counted FLOPs (spec["flops"],
    the whole training) and the runs already measured on this device: the slowest
    seconds per FLOP among them, plus the longest compile among them scaled by the
    depth of the network. A run measured with fewer processes side by side than
    `processes` counts as that many times slower. Before any measurement: the FLOPs
    at the cautious rate `first_rate` shared by `processes`, plus `first_compile`
    seconds."""
    if not measured:
        return processes * spec["flops"] / first_rate + first_compile
    per_flop, compiling = 0.0, 0.0
    for run in measured:
        slower = max(1.0, processes / run.get("processes", 1))
        seconds = run["finished"] - run["started"] - (run["compile_seconds"] or 0)
        per_flop = max(per_flop, slower * seconds / run["spec"]["flops"])
        compiling = max(compiling, slower * (run["compile_seconds"] or 0)
                        * spec["layers"] / run["spec"]["layers"])
    return spec["flops"] * per_flop + compiling


def train_missing(plan, train_one, results, experiment, machine, may_train=True,
                  first_rate=None):
    """Train the runs of `plan` that `results` lacks, in plan order; return the
    records of the plan that the file holds, in plan order (all of them, unless a
    deadline stopped training first).

    A record belongs to this experiment when its `experiment` entry (settings and
    data) equals `experiment`. Missing runs are trained only with the backend and
    precision of the others, so that a study is never a mixture; devices may
    differ (each record names its own). A deadline (deadline_from_environment)
    bounds the trainings: none starts whose estimate (estimate_seconds, with each
    spec's "flops" and "layers") would not end before it. TRAIN_PROCESSES processes
    of one TRAIN_SESSION share the work by claiming runs in plan order;
    TRAIN_RENDER_ONLY=1 trains nothing (a runner's last pass after its processes),
    and TRAIN_MAX_RUNS stops after that many trainings in this process.
    """
    kept = {record["key"]: record for record in results.read()
            if record["experiment"] == experiment}
    missing = [spec for spec in plan if spec["key"] not in kept]
    print(f"{len(plan) - len(missing)} of {len(plan)} runs found in {results.path}, "
          f"{len(missing)} to train")
    if missing and kept:
        first = next(iter(kept.values()))["machine"]
        unlike = {k: (first[k], machine[k]) for k in LIKE_MACHINE
                  if first[k] != machine[k]}
        if unlike:
            raise RuntimeError(
                f"{results.path} holds runs made with {unlike} (theirs, this "
                "machine's): finish them on a machine like theirs, or move the file "
                "away to start the study again here.")
    render_only = os.environ.get("TRAIN_RENDER_ONLY", "") not in ("", "0")
    if missing and not may_train and not render_only:
        raise RuntimeError(
            f"{len(missing)} runs are missing and these settings need an "
            "accelerator: run with QUICK_RUN=1 here, or train on a GPU.")
    processes = int(os.environ.get("TRAIN_PROCESSES", "1"))
    at_most = int(os.environ.get("TRAIN_MAX_RUNS", "-1"))
    deadline = deadline_from_environment()
    accelerator = machine["device_class"] != "CPU"
    first_rate = first_rate or (1e12 if accelerator else 2e10)
    first_compile = first_compile_seconds(accelerator, processes, os.cpu_count())
    trained = 0

    def measured():
        # The runs finished on this device.
        return [record for record in results.read()
                if record["experiment"] == experiment
                and record["machine"]["device"] == machine["device"]
                and record["spec"].get("flops")]

    def records_now():
        return {record["key"] for record in results.read()
                if record["experiment"] == experiment}

    def fits(spec):
        left = deadline - time.time()
        needed = estimate_seconds(spec, measured(), first_rate, first_compile,
                                  processes)
        if needed > left:
            print(f"{spec['key']}: about {needed:.0f} s, {max(left, 0):.0f} s left "
                  "before the deadline: not started")
            return False
        return True

    while missing and not render_only and trained != at_most:
        spec = results.claim(missing, experiment, fits)
        if spec is None:
            break
        began = time.time()
        done = records_now()
        left = [other for other in missing if other["key"] not in done]
        FORECAST.update(spec=spec, count=len(left),
                        flops_left=sum(other.get("flops", 0) for other in left))
        try:
            record = train_one(spec)
        except DeadlineMissed as missed:
            print(f"{spec['key']}: {missed}; not recorded")
            break
        record.update(key=spec["key"], spec=spec, experiment=experiment,
                      machine=machine, started=began, finished=time.time(),
                      processes=processes, deadline=deadline)
        results.add(record)
        trained += 1
    records = {record["key"]: record for record in results.read()
               if record["experiment"] == experiment}
    still_missing = [spec["key"] for spec in plan if spec["key"] not in records]
    if still_missing:
        more = ", ..." if len(still_missing) > 4 else ""
        print(f"{len(still_missing)} of {len(plan)} runs still missing "
              f"({', '.join(still_missing[:4])}{more}): a later run trains them")
    return [records[spec["key"]] for spec in plan if spec["key"] in records]


def keep_complete(runs, plan, unit_of, names=("unit", "units")):
    """The runs whose unit (unit_of(spec): the runs compared with each other, such as
    the twins of one depth and seed) is complete, in plan order. Says what the page
    leaves out; raises RunsIncomplete if no unit is complete. `names`: what a unit
    is called, singular and plural."""
    units = {}
    for spec in plan:
        units.setdefault(unit_of(spec), []).append(spec["key"])
    present = {run["key"] for run in runs}
    complete = {unit for unit, keys in units.items() if set(keys) <= present}
    kept = [run for run in runs if unit_of(run["spec"]) in complete]
    if len(complete) < len(units):
        print(f"INCOMPLETE: the page shows {len(complete)} of {len(units)} {names[1]} "
              f"({len(kept)} of {len(plan)} runs); runs still to train: "
              f"{len(plan) - len(runs)}; finished runs left out until the rest of "
              f"their {names[0]} is trained: {len(runs) - len(kept)}")
    if not kept:
        raise RunsIncomplete(f"no complete {names[0]} yet: run again to train the "
                             "missing runs")
    return kept


def print_speed_by_device(runs, label_of):
    # Images per second of each kind of network on each device: speed is a property
    # of a device, so runs of several devices are never averaged together.
    devices = sorted({run["machine"]["device"] for run in runs})
    for device in devices:
        print(f"{device}:")
        on_device = [run for run in runs if run["machine"]["device"] == device]
        for label in dict.fromkeys(label_of(run) for run in on_device):
            group = [run for run in on_device if label_of(run) == label]
            compiles = [run["compile_seconds"] for run in group
                        if run["compile_seconds"] is not None]
            together = "/".join(str(k) for k in sorted({run["processes"]
                                                       for run in group}))
            print(f"  {label:<12}{len(group):>2} runs"
                  f"{np.mean([run['images_per_second'] for run in group]):>8.0f} img/s"
                  f"{np.mean([run['steady_epoch_seconds'] for run in group]):>7.1f} "
                  f"s/epoch, compile "
                  f"{np.mean(compiles) if compiles else float('nan'):5.1f} s, "
                  f"{together} at once")


def describe_provenance(records):
    # Where and how the records were made, from the records alone.
    def distinct(values):
        return ", ".join(sorted({str(value) for value in values}))

    machines = [record["machine"] for record in records]
    days = sorted(time.strftime("%Y-%m-%d", time.gmtime(record["started"]))
                  for record in records)
    by_session = {}
    for record in records:
        by_session.setdefault(record["machine"]["session"], []).append(record)
    sessions = len(by_session)
    hours = sum(record["finished"] - record["started"] for record in records) / 3600
    # Wall time: from the first start to the last finish of each session, added up.
    wall = sum(max(r["finished"] for r in group) - min(r["started"] for r in group)
               for group in by_session.values()) / 3600
    lines = [
        f"{len(records)} trainings on {distinct(m['device'] for m in machines)}, "
        f"{distinct(m['backend'] for m in machines)} backend "
        f"({distinct(m['backend_version'] for m in machines)}), Keras "
        f"{distinct(m['keras'] for m in machines)}, precision "
        f"{distinct(m['precision'] for m in machines)}",
        f"data: {distinct(r['experiment']['data']['name'] for r in records)}",
        f"trained in {sessions} session(s) between {days[0]} and {days[-1]} (UTC), "
        f"{60 * hours:.1f} minutes of training in all",
        "steps compiled: " + distinct(r["jit_compile"] for r in records),
        f"processes side by side: {distinct(r['processes'] for r in records)}; "
        f"{60 * hours:.1f} minutes of training took {60 * wall:.1f} minutes of wall "
        "time" + (f" ({hours / wall:.2f} trainings at once on average)" if wall
                  else ""),
    ]
    return lines


def print_sources(results, epochs, num_train, quick, hardware, precision):
    # The note near the top of a chapter: what the numbers on this page come from.
    found = [record for record in results.read()
             if record["experiment"]["settings"]["epochs"] == epochs
             and record["experiment"]["settings"]["train_images"] == num_train]
    if quick:
        print("QUICK RUN: CPU-sized settings. Its numbers are not a result, and this "
              "page judges nothing from them.")
    if found:
        print(f"{results.path} holds {len(found)} trainings with these settings; the "
              "page is rendered from them:")
        for line in describe_provenance(found):
            print("  " + line)
    else:
        print(f"no trainings with these settings in {results.path}: this run trains "
              "them")
    print("this page rendered on:", hardware["name"], "|", keras.backend.backend(), "|",
          precision)

