"""`make kaggle-push` and `make kaggle-pull` against the official kaggle CLI, offline.

The CLI (the `kaggle` package of requirements-maintainer.txt, in .venv-kaggle, which
`make install-kaggle` creates) runs as a maintainer runs it, through make. Only its
network layer is replaced: KAGGLE_API_ENVIRONMENT=LOCALHOST is the kaggle package's
own setting that sends every API call to http://localhost/api/v1/..., and HTTP_PROXY
hands those requests to a stand-in Kaggle on 127.0.0.1 (StandInKaggle below, on a
free port: it records what it was sent, reports a status and serves a version's output
files), so nothing leaves the machine. The
credentials are a throwaway kaggle.json in a temporary KAGGLE_CONFIG_DIR, the place
the CLI reads them from; HOME is a temporary folder too, so that no real credentials
on the machine are read.
"""

import base64
import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from book_layout import ROOT

# Every test here stages in the checkout's _build/kaggle/ and pulls into its
# _build/kaggle/<notebook>-output/, so they run one after another on one worker, with
# tests/test_kaggle_workers.py (make test: pytest -n ... --dist loadgroup).
pytestmark = pytest.mark.xdist_group("kaggle-rehearsal")

KAGGLE_VENV = Path(os.environ.get("KAGGLE_VENV", ROOT / ".venv-kaggle"))
USER, KEY = "book-maintainer", "0123456789abcdef"
CHAPTER6 = "resnet-book-06-resnet30-vs-plainnet"
CHAPTER7 = "resnet-book-07-degradation-across-depth"


class StandInKaggle(ThreadingHTTPServer):
    """The few Kaggle API calls that push, status and output make."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.calls = []  # (method name, request body, Authorization header)
        self.statuses = {}  # kernel slug -> statuses still to report, the last repeats
        self.outputs = {}  # kernel slug -> {file name: bytes}

    def answer(self, method, body):
        slug = body.get("kernelSlug") or (body.get("slug") or "").split("/")[-1]
        if method == "SaveKernel":
            version = sum(call[0] == "SaveKernel" for call in self.calls)
            self.statuses[slug] = ["QUEUED"]
            return 200, {
                "ref": f"/code/{body['slug']}",
                "versionNumber": version,
                "url": f"http://localhost/code/{body['slug']}",
            }
        if method == "GetKernelSessionStatus":
            if slug not in self.statuses:
                return 404, {"code": 404, "message": "Not found"}
            left = self.statuses[slug]
            return 200, {"status": left.pop(0) if len(left) > 1 else left[0]}
        if method == "ListKernelSessionOutput":
            files = [
                {"fileName": name, "url": f"http://localhost/files/{slug}/{name}"}
                for name in self.outputs.get(slug, {})
            ]
            return 200, {"files": files, "log": "[]"}
        return 404, {"code": 404, "message": f"no {method} in the stand-in"}


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, code, payload, content_type="application/json"):
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def where(self):
        # A proxy is sent the whole URL; only http://localhost/ is Kaggle's here.
        assert self.path.startswith("http://localhost/"), self.path
        return self.path.removeprefix("http://localhost")

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])) or b"{}")
        method = self.where().rsplit("/", 1)[-1]
        code, payload = self.server.answer(method, body)
        self.server.calls.append((method, body, self.headers.get("Authorization")))
        self.reply(code, payload)

    def do_GET(self):
        _, _, slug, name = self.where().split("/", 3)
        content = self.server.outputs.get(slug, {}).get(name)
        if content is None:
            self.reply(404, {"code": 404, "message": "Not found"})
        else:
            self.reply(200, content, "application/octet-stream")


@pytest.fixture(scope="module")
def kaggle_cli():
    """The maintainers' environment with the official CLI, made as `make` makes it."""
    made = subprocess.run(
        ["make", "-s", "install-kaggle", f"KAGGLE_VENV={KAGGLE_VENV}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert made.returncode == 0, made.stdout + made.stderr
    assert (KAGGLE_VENV / "bin" / "kaggle").exists()
    return KAGGLE_VENV


@pytest.fixture
def kaggle(kaggle_cli):
    server = StandInKaggle()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def environment(home: Path, kaggle, credentials=True) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("KAGGLE_")
        and key.lower() not in ("http_proxy", "https_proxy", "all_proxy", "no_proxy")
    }
    config = home / "kaggle-config"
    config.mkdir(parents=True, exist_ok=True)
    if credentials:
        (config / "kaggle.json").write_text(json.dumps({"username": USER, "key": KEY}))
        (config / "kaggle.json").chmod(0o600)
    proxy = f"http://127.0.0.1:{kaggle.server_address[1]}"
    env.update(
        HOME=str(home),
        KAGGLE_CONFIG_DIR=str(config),
        KAGGLE_API_ENVIRONMENT="LOCALHOST",
        HTTP_PROXY=proxy,
        http_proxy=proxy,
        HTTPS_PROXY=proxy,
        https_proxy=proxy,
        KAGGLE_VENV=str(KAGGLE_VENV),
    )
    return env


def make(target, env, *variables):
    return subprocess.run(
        [
            "make",
            "-s",
            target,
            f"KAGGLE_VENV={KAGGLE_VENV}",
            f"BOOK_PYTHON={sys.executable}",
            *variables,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def pushed_notebook(call) -> dict:
    return json.loads(call[1]["text"])


def run_size_of(notebook: dict) -> str:
    for cell in notebook["cells"]:
        for line in "".join(cell["source"]).splitlines():
            if line.startswith("RUN_SIZE = "):
                return line.split('"')[1]
    raise AssertionError("no RUN_SIZE line in the pushed notebook")


def test_push_sends_the_chapter_with_its_size_accelerator_and_limit(kaggle, tmp_path):
    stage = ROOT / "_build" / "kaggle" / "06_resnet30_vs_plainnet"
    done = make("kaggle-push", environment(tmp_path, kaggle), "CHAPTER=06", "SIZE=full")
    assert done.returncode == 0, done.stdout + done.stderr
    calls = [call[0] for call in kaggle.calls]
    assert calls == ["GetKernelSessionStatus", "SaveKernel"], calls
    _, body, authorization = kaggle.calls[-1]
    # The credentials went where the CLI read them from: HTTP basic auth.
    assert (
        authorization == "Basic " + base64.b64encode(f"{USER}:{KEY}".encode()).decode()
    )
    metadata = json.loads((stage / "kernel-metadata.json").read_text())
    required = {
        "id",
        "title",
        "code_file",
        "language",
        "kernel_type",
        "is_private",
        "enable_gpu",
        "enable_internet",
        "kernel_sources",
    }
    assert required <= set(metadata), metadata
    assert metadata["id"] == f"{USER}/{CHAPTER6}"
    assert metadata["code_file"] == "06_resnet30_vs_plainnet.ipynb"
    assert (stage / metadata["code_file"]).exists()
    assert metadata["kernel_sources"] == []  # a new kernel: no earlier output
    # What Kaggle was asked for.
    assert body["slug"] == f"{USER}/{CHAPTER6}"
    assert body["newTitle"] == metadata["title"]
    assert (body["language"], body["kernelType"]) == ("python", "notebook")
    assert body["isPrivate"] is True
    assert body["enableGpu"] is True and body["enableInternet"] is True
    assert body["machineShape"] == "NvidiaTeslaT4"
    assert body["sessionTimeoutSeconds"] == 43200
    notebook = pushed_notebook(kaggle.calls[-1])
    assert run_size_of(notebook) == "full"
    original = json.loads((ROOT / "notebooks" / metadata["code_file"]).read_text())
    assert run_size_of(original) == "reader"  # the repository's notebook is untouched
    assert "RUN_SIZE reader -> full" in done.stdout and "NvidiaTeslaT4" in done.stdout


def test_a_second_push_attaches_the_previous_output(kaggle, tmp_path):
    env = environment(tmp_path, kaggle)
    kaggle.statuses[CHAPTER7] = ["COMPLETE"]
    done = make("kaggle-push", env, "CHAPTER=07", "SIZE=full", "KAGGLE_TIMEOUT=3600")
    assert done.returncode == 0, done.stdout + done.stderr
    body = kaggle.calls[-1][1]
    assert body["kernelDataSources"] == [f"{USER}/{CHAPTER7}"]
    assert body["sessionTimeoutSeconds"] == 3600
    assert run_size_of(pushed_notebook(kaggle.calls[-1])) == "full"
    # While a version runs, a push is refused and nothing is sent.
    kaggle.statuses[CHAPTER7] = ["RUNNING"]
    before = len(kaggle.calls)
    done = make("kaggle-push", env, "CHAPTER=07", "SIZE=full")
    assert done.returncode != 0 and "still running" in done.stdout
    assert [call[0] for call in kaggle.calls[before:]] == ["GetKernelSessionStatus"]


def test_the_appendix_is_pushed_to_run_on_jax(kaggle, tmp_path):
    done = make("kaggle-push", environment(tmp_path, kaggle), "CHAPTER=09")
    assert done.returncode == 0, done.stdout + done.stderr
    cells = pushed_notebook(kaggle.calls[-1])["cells"]
    first = next(cell for cell in cells if cell["cell_type"] == "code")
    assert 'os.environ.setdefault("KERAS_BACKEND", "jax")' in first["source"]
    assert "JAX with GPU support is missing here" in first["source"]
    repository = json.loads(
        (ROOT / "notebooks" / "09_data_parallel_training.ipynb").read_text()
    )
    assert "KERAS_BACKEND" not in json.dumps(
        [c["source"] for c in repository["cells"] if c["cell_type"] == "code"]
    )
    # A chapter that trains one network per GPU keeps the reader's backend.
    done = make("kaggle-push", environment(tmp_path, kaggle), "CHAPTER=06")
    assert "KERAS_BACKEND" not in kaggle.calls[-1][1]["text"]
    done = make(
        "kaggle-push", environment(tmp_path, kaggle), "CHAPTER=09", "SIZE=quick"
    )
    assert done.returncode != 0 and "only its full run" in done.stdout


def test_a_size_the_chapter_lacks_is_refused(kaggle, tmp_path):
    done = make("kaggle-push", environment(tmp_path, kaggle), "CHAPTER=06", "SIZE=huge")
    assert done.returncode != 0
    assert "SIZE is one of full, reader, quick" in done.stdout
    assert "SaveKernel" not in [call[0] for call in kaggle.calls]


@pytest.mark.parametrize("target", ["kaggle-push", "kaggle-pull"])
def test_without_credentials_one_line_and_nothing_changes(kaggle, tmp_path, target):
    results = ROOT / "notebooks" / "results"
    before = sorted((path.name, path.stat().st_mtime) for path in results.iterdir())
    stage = ROOT / "_build" / "kaggle"
    staged = sorted(stage.rglob("*")) if stage.exists() else []
    done = make(target, environment(tmp_path, kaggle, credentials=False), "CHAPTER=06")
    assert done.returncode != 0
    said = [line for line in done.stdout.splitlines() if line.strip()]
    assert len(said) == 1 and said[0].startswith("no Kaggle credentials found"), said
    assert "nothing was changed" in said[0] and "access_token" in said[0]
    assert kaggle.calls == []  # not one call reached Kaggle
    assert sorted((p.name, p.stat().st_mtime) for p in results.iterdir()) == before
    assert (sorted(stage.rglob("*")) if stage.exists() else []) == staged
    assert not list(tmp_path.rglob("kaggle.json"))  # and none was written


def full_record(key, network, session="kaggle-1", device="Tesla T4"):
    # A record as chapter 6's full run writes it, cut to what the checks read.
    return {
        "key": key,
        "network": network,
        "recipe": "published",
        "seed": 1,
        "started": 1.0,
        "finished": 2.0,
        "spec": {"key": key},
        "jit_compile": True,
        "experiment": {
            "settings": {
                "epochs": 20,
                "train_images": 50_000,
                "test_images": 10_000,
                "quick_run": False,
            },
            "data": {
                "name": "official CIFAR-10 files",
                "train_images": 50_000,
                "test_images": 10_000,
            },
        },
        "machine": {
            "backend": "jax",
            "backend_version": "0.6",
            "keras": "3.15.1",
            "python": "3.11",
            "device": device,
            "device_class": device,
            "precision": "mixed_float16",
            "session": session,
        },
    }


RUNNER = """\
import json, os, sys
from pathlib import Path
Path(os.environ["RUNNER_LOG"]).write_text(json.dumps({
    "argv": sys.argv[1:], "render_only": os.environ.get("TRAIN_RENDER_ONLY"),
    "quick": os.environ.get("QUICK_RUN"), "size": os.environ.get("RUN_SIZE"),
    "results": sorted(p.name for p in Path(os.environ["RESULTS_SEEN"]).iterdir())}))
"""


@pytest.fixture
def results_folder(tmp_path):
    """Where the pulled results go: KAGGLE_RESULTS (make) or --results, here a
    folder of the test's own, so that notebooks/results/ never holds a stand-in."""
    folder = tmp_path / "published"
    folder.mkdir()
    (folder / "README.md").write_text("published results\n")
    return folder


def test_pull_waits_validates_merges_and_renders(kaggle, tmp_path, results_folder):
    name = "resnet30_vs_plainnet_results.json"
    records = [
        full_record("resnet30-published-seed1", "resnet30"),
        full_record("plainnet30-published-seed1", "plainnet30"),
    ]
    kaggle.statuses[CHAPTER6] = ["RUNNING", "RUNNING", "COMPLETE"]
    kaggle.outputs[CHAPTER6] = {
        name: json.dumps(records).encode(),
        "06_resnet30_vs_plainnet.log": b"log",
    }
    runner = tmp_path / "runner.py"
    runner.write_text(RUNNER)
    env = dict(
        environment(tmp_path, kaggle),
        KAGGLE_BOOK_RUNNER=str(runner),
        RUNNER_LOG=str(tmp_path / "runner.json"),
        RESULTS_SEEN=str(results_folder),
        QUICK_RUN="1",
    )
    done = make(
        "kaggle-pull",
        env,
        "CHAPTER=06",
        "KAGGLE_POLL=0.05",
        f"KAGGLE_RESULTS={results_folder}",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    statuses = [call for call in kaggle.calls if call[0] == "GetKernelSessionStatus"]
    assert len(statuses) == 3  # it waited until the version had run
    assert json.loads((results_folder / name).read_text()) == records
    assert "2 added" in done.stdout and "+ plainnet30-published-seed1" in done.stdout
    ran = json.loads((tmp_path / "runner.json").read_text())
    assert ran["argv"] == [
        "--from-results",
        str(ROOT / "notebooks" / "06_resnet30_vs_plainnet.ipynb"),
    ]
    assert ran["render_only"] == "1" and ran["quick"] is None and ran["size"] == "full"
    assert name in ran["results"]  # in place before the render
    assert "page: 0 of" in done.stdout
    # Pulled again, nothing is added twice.
    kaggle.statuses[CHAPTER6] = ["COMPLETE"]
    again = subprocess.run(
        [
            sys.executable,
            "tools/kaggle_book.py",
            "pull",
            "--chapter",
            "06",
            "--no-render",
            "--results",
            str(results_folder),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert again.returncode == 0, again.stdout + again.stderr
    assert "0 added, 2 already there" in again.stdout
    assert json.loads((results_folder / name).read_text()) == records


def test_pull_takes_the_weights_too(kaggle, tmp_path, results_folder):
    import numpy as np

    kaggle.statuses[CHAPTER7] = ["COMPLETE"]
    record = {**full_record("resnet20-seed1", "resnet20"), "depth": 20}
    weights = tmp_path / "w.npz"
    np.savez(weights, **{"resnet20-seed1/conv/kernel": np.ones((3, 3), "float32")})
    kaggle.outputs[CHAPTER7] = {
        "degradation_results.json": json.dumps([record]).encode(),
        "degradation_weights.npz": weights.read_bytes(),
    }
    env = dict(environment(tmp_path, kaggle))
    done = subprocess.run(
        [
            sys.executable,
            "tools/kaggle_book.py",
            "pull",
            "--chapter",
            "07",
            "--no-render",
            "--results",
            str(results_folder),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    with np.load(results_folder / "degradation_weights.npz") as kept:
        assert kept.files == ["resnet20-seed1/conv/kernel"]
    assert "weights of 1 more networks: resnet20-seed1" in done.stdout


@pytest.mark.parametrize(
    "spoil, said",
    [
        (lambda r: r["experiment"]["settings"].update(quick_run=True), "quick run"),
        (
            lambda r: r["experiment"]["data"].update(name="JPEG copy of CIFAR-10"),
            "not the official CIFAR-10 files",
        ),
        (
            lambda r: r["machine"].update(device="CPU, 4 cores", device_class="CPU"),
            "not a GPU",
        ),
        (
            lambda r: r["experiment"]["settings"].update(train_images=5_397),
            "train_images 5397",
        ),
        (
            lambda r: r["machine"].update(precision="float32"),
            "several backend/precision",
        ),
        (lambda r: r.update(jit_compile=False), "without a compiled step"),
    ],
)
def test_pull_refuses_records_it_cannot_publish(
    kaggle, tmp_path, results_folder, spoil, said
):
    name = "resnet30_vs_plainnet_results.json"
    records = [
        full_record("resnet30-published-seed1", "resnet30"),
        full_record("plainnet30-published-seed1", "plainnet30"),
    ]
    spoil(records[1])
    kaggle.statuses[CHAPTER6] = ["COMPLETE"]
    kaggle.outputs[CHAPTER6] = {name: json.dumps(records).encode()}
    done = subprocess.run(
        [
            sys.executable,
            "tools/kaggle_book.py",
            "pull",
            "--chapter",
            "06",
            "--no-render",
            "--results",
            str(results_folder),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=environment(tmp_path, kaggle),
        timeout=300,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert said in done.stdout and "nothing was changed" in done.stdout
    assert not (results_folder / name).exists()
