"""The environment notebook kernels run in, for the test suite and the runner.

Both start Jupyter kernels; both must give them the same quiet environment so that a
fresh run's outputs can be compared with the stored ones:
- TensorFlow's import-time log lines are turned off (TF_CPP_MIN_LOG_LEVEL=3 and
  TF_ENABLE_ONEDNN_OPTS=0);
- the kernel does not forward what C/C++ libraries write straight to file descriptor
  2: the CUDA-enabled TensorFlow wheel prints "Could not find cuda drivers" there on
  machines without a GPU, whatever the log level. This is how Colab and the classic
  Jupyter notebook treat such lines (they go to the server log, not the page).
  Python-level warnings and errors still reach the notebook and fail the tests.
- tracebacks are printed in IPython's "Minimal" mode: the exception type and message,
  without the frames, so that a failing run's output names no file path of the
  machine that ran it (no stored cell raises: chapters catch the errors they teach).
"""

import os
import tempfile
from pathlib import Path

QUIET_TENSORFLOW = {"TF_CPP_MIN_LOG_LEVEL": "3", "TF_ENABLE_ONEDNN_OPTS": "0"}


def quiet_kernel_environment() -> Path:
    """Set up os.environ for kernels started from this process; return IPYTHONDIR."""
    for name, value in QUIET_TENSORFLOW.items():
        os.environ.setdefault(name, value)
    ipython_dir = Path(tempfile.mkdtemp(prefix="book-ipython-"))
    profile = ipython_dir / "profile_default"
    profile.mkdir()
    (profile / "ipython_kernel_config.py").write_text(
        "c.IPKernelApp.capture_fd_output = False\n"
        "c.InteractiveShell.xmode = 'Minimal'\n"
    )
    os.environ["IPYTHONDIR"] = str(ipython_dir)
    return ipython_dir
