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


def fit_and_record(model, train, test, batch_size, epochs, seed, eval_batch,
                   hardware, verbose=0):
    """Fit on shuffled whole batches, validating on `test` after every epoch, then
    evaluate on both sets in inference mode; return what the record keeps."""
    (x_train, y_train), (x_test, y_test) = train, test
    check_compiled(model, hardware)
    timer = EpochTimer()
    batches = TrainBatches(x_train, y_train, batch_size, seed)
    start = time.perf_counter()
    history = model.fit(batches, epochs=epochs, validation_data=(x_test, y_test),
                        validation_batch_size=eval_batch, callbacks=[timer],
                        verbose=verbose)
    fit_seconds = time.perf_counter() - start
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
        "steps_per_epoch": len(batches), "batch_size": batch_size,
        "eval_batch_size": eval_batch, "epochs": epochs,
    }


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
# once gives them all the same TRAIN_SESSION.
SESSION = os.environ.get("TRAIN_SESSION") or (
    time.strftime("%Y%m%dT%H%M%S", time.gmtime()) + f"-{os.getpid()}")


def describe_machine(hardware, precision):
    # The record's machine entry: software, device and precision of this session.
    return {**software(), "device": hardware["name"], "device_class": hardware["class"],
            "precision": precision, "session": SESSION}


class RunsIncomplete(RuntimeError):
    """Raised when a time budget stopped training before the plan was done."""


class ResultsFile:
    """The run records of one chapter: a JSON list, written after every training.

    Several processes may train one chapter's runs side by side: each adds its
    records under a lock, re-reading the file first, and replaces the file whole."""

    def __init__(self, path):
        self.path = path
        digest = hashlib.sha256(os.path.abspath(path).encode()).hexdigest()[:12]
        self.lock_path = os.path.join(tempfile.gettempdir(), f"results-{digest}.lock")

    def read(self):
        if not os.path.exists(self.path):
            return []
        with open(self.path) as file:
            return json.load(file)

    def add(self, record):
        with open(self.lock_path, "w") as lock:
            if fcntl:
                fcntl.flock(lock, fcntl.LOCK_EX)
            records = [old for old in self.read()
                       if (old["key"], old["experiment"])
                       != (record["key"], record["experiment"])]
            records.append(record)
            temporary = f"{self.path}.{os.getpid()}.tmp"
            with open(temporary, "w") as file:
                json.dump(records, file, indent=1)
            os.replace(temporary, self.path)


LIKE_MACHINE = ("backend", "precision", "device_class")


def train_missing(plan, train_one, results, experiment, machine, may_train=True):
    """Train the runs of `plan` that `results` lacks; return the plan's records.

    A record belongs to this experiment when its `experiment` entry (settings and
    data) equals `experiment`. Missing runs are trained only on a machine like the
    one that made the others (same backend, precision and device class), so that a
    study is never a mixture. Two environment variables split the work:
    TRAIN_TIME_BUDGET (seconds: start no training that would not end in time) and
    TRAIN_SHARD ("i/k": this process trains every k-th missing run from the i-th).
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
    if missing and not may_train:
        raise RuntimeError(
            f"{len(missing)} runs are missing and these settings need an "
            "accelerator: run with QUICK_RUN=1 here, or train on a GPU.")
    shard, shards = (int(part) for part in
                     os.environ.get("TRAIN_SHARD", "0/1").split("/"))
    budget = float(os.environ.get("TRAIN_TIME_BUDGET", "inf"))
    # The longest training so far, kept ones included, is the estimate of the next.
    start = time.perf_counter()
    longest = max((r["finished"] - r["started"] for r in kept.values()), default=0.0)
    for spec in missing[shard::shards]:
        elapsed = time.perf_counter() - start
        if elapsed + longest > budget:
            print(f"time budget of {budget:.0f} s: stopping after {elapsed:.0f} s")
            break
        began = time.time()
        record = train_one(spec)
        record.update(key=spec["key"], spec=spec, experiment=experiment,
                      machine=machine, started=began, finished=time.time(),
                      processes=shards)
        results.add(record)
        longest = max(longest, record["finished"] - began)
    records = {record["key"]: record for record in results.read()
               if record["experiment"] == experiment}
    still_missing = [spec["key"] for spec in plan if spec["key"] not in records]
    if still_missing:
        raise RunsIncomplete(f"{len(still_missing)} runs still missing "
                             f"({', '.join(still_missing[:4])}, ...): run again")
    return [records[spec["key"]] for spec in plan]


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
        f"time ({hours / wall if wall else float('nan'):.2f} trainings at once on "
        "average)",
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

