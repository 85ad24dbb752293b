"""The distributed mode under mpiexec: equal to serial, errors agreed on every rank, no hangs.

Each test launches ``mpiexec -n P python -m mpi4py tests/distributed/mpi_checks.py ...``
in a subprocess with a timeout (a hang fails the test instead of blocking the
suite) and checks the JSON line the program prints.  P = 1, 2, 4 (4 ranks
oversubscribe a 2-core machine; the program gives each rank its thread share,
so that the ranks' numba/OpenMP threads do not oversubscribe it further).
Skipped, with the reason, where mpi4py, mpi4py-fft or mpiexec are missing.

The ranks import the same fieldconv as this process (PYTHONPATH), so they
share its numba cache.  Launches take a file lock, one MPI job at a time
across pytest-xdist workers, and each worker's first launch is preceded by a
one-rank run that fills the cache: a cold cache costs one compilation, not
one per rank (about 2 minutes each on a loaded 2-core machine).
"""

import fcntl
import hashlib
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

import fieldconv

SCRIPT = Path(__file__).with_name("mpi_checks.py")
PACKAGE_ROOT = Path(fieldconv.__file__).resolve().parent.parent
TIMEOUT = 300  # s per launch; a launch takes 5-15 s here (4 ranks on 2 loaded cores), so only a hang reaches it
WARM_TIMEOUT = 900  # s for the one-rank run that may compile the numba kernels (cold cache)
EPS32 = float(np.finfo(np.float32).eps)
_LOCK = Path(tempfile.gettempdir()) / f"fieldconv-mpi-tests-{hashlib.sha1(str(PACKAGE_ROOT).encode()).hexdigest()[:12]}.lock"
_warm = []


def _mpiexec():
    local = Path(sys.executable).with_name("mpiexec")  # the mpich wheel installs it next to python
    return str(local) if local.exists() else shutil.which("mpiexec")


def _missing():
    for mod, what in (("mpi4py", "mpi4py"), ("mpi4py_fft", "mpi4py-fft")):
        if importlib.util.find_spec(mod) is None:
            return f"{what} is not installed (pip install 'fieldconv[mpi]')"
    if _mpiexec() is None:
        return "no mpiexec on PATH (pip install mpich)"
    return None


pytestmark = pytest.mark.skipif(_missing() is not None, reason=f"distributed mode unavailable: {_missing()}")


def _run(cmd, env, timeout):
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # mpiexec and every rank
        out, err = proc.communicate()
        pytest.fail(f"`{' '.join(cmd)}` did not finish within {timeout} s (a hang?)\nstderr:\n{err[-4000:]}")
    return proc.returncode, out, err


def launch_command(nranks, command):
    """(returncode, stdout, stderr, seconds) of ``mpiexec -n nranks *command``, one MPI job at a time."""
    env = dict(os.environ)
    env.pop("FIELDCONV_NUM_THREADS", None)  # the checks test the computed thread share
    env["FIELDCONV_FFTW_PLANNER"] = "FFTW_ESTIMATE"  # tiny grids: plan in microseconds
    env["PYTHONPATH"] = os.pathsep.join([str(PACKAGE_ROOT)] + [p for p in [env.get("PYTHONPATH")] if p])
    base = [_mpiexec(), "-n"]
    tail = [sys.executable, "-m", "mpi4py", str(SCRIPT)]
    with open(_LOCK, "w") as lock:
        deadline = time.monotonic() + WARM_TIMEOUT + 4 * TIMEOUT
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    pytest.fail(f"another MPI test held {_LOCK} for too long")
                time.sleep(0.2)
        if not _warm:
            code, _, err = _run(base + ["1"] + tail + ["operators"], env, WARM_TIMEOUT)
            if code != 0:
                pytest.fail(f"the one-rank warm-up run failed (exit {code})\nstderr:\n{err[-6000:]}")
            _warm.append(True)
        t0 = time.perf_counter()
        code, out, err = _run(base + [str(nranks)] + list(command), env, TIMEOUT)
        seconds = time.perf_counter() - t0
    return code, out, err, seconds


def launch(nranks, *groups):
    """(returncode, parsed RESULT or None, stderr, seconds) of one mpiexec run of mpi_checks.py."""
    code, out, err, seconds = launch_command(nranks, [sys.executable, "-m", "mpi4py", str(SCRIPT), *groups])
    result = None
    for line in out.splitlines():
        if line.startswith("RESULT "):
            result = json.loads(line[len("RESULT "):])
    return code, result, err, seconds


def checked(nranks, *groups):
    code, result, err, _ = launch(nranks, *groups)
    if code != 0 or result is None:
        pytest.fail(f"mpiexec -n {nranks} {' '.join(groups)} failed (exit {code})\nstderr:\n{err[-6000:]}")
    return result


@pytest.mark.parametrize("nranks", [1, 2, 4], ids=["P1", "P2", "P4"])
def test_distributed_equals_serial(nranks):
    r = checked(nranks, "operators", "misc", "errors", "files")
    bad = []
    for key, value in r.items():
        # float64: the requirement is 1e-12 relative (to the largest value); FFT round-off between two
        # transforms of 16^3 is ~ eps log2 N ~ 3e-15 x the Green's-function amplification (< 10 here)
        if key.startswith("eq ") and not value <= 1e-12:
            bad.append(f"{key}: {value:.3g} > 1e-12")
        # float32: as accurate as serial float32 against the float64 result (two float32 roundings of the
        # same sums in another order: within 2x the serial error, plus 4 eps32 for results the serial hits exactly)
        if key.startswith("f32 ") and key.endswith(" dist"):
            limit = 2 * r[key[: -len(" dist")] + " serial"] + 4 * EPS32
            if not value <= limit:
                bad.append(f"{key}: {value:.3g} > {limit:.3g}")
        if key.startswith(("dtype ", "error ", "one-rank ", "chunked ", "int64", "gather", "scatter", "units ",
                           "thread", "ranks ", "mesh threads", "files ")) and value is False:
            bad.append(f"{key}: failed" + (f" ({r.get('message ' + key[6:])})" if key.startswith("error ") else ""))
        if (key in ("chunked paint", "chunked readout", "units paint", "units solve", "after errors")
                or key.startswith("one-rank sorted")) and not value <= 1e-12:
            bad.append(f"{key}: {value:.3g} > 1e-12")
    layouts = {k: v for k, v in r.items() if k.startswith("layout")}
    if nranks == 4:
        assert layouts["layout 3d-f64-pencil"] == ["pencil", [2, 2, 1]]
    assert sum(k.startswith("eq ") for k in r) >= 100, "the operator checks did not run"
    assert sum(k.startswith("error ") for k in r) >= 6, "the error checks did not run"
    assert sum(k.startswith("eq file ") for k in r) == 9, "the snapshot/file checks did not run"
    assert not bad, "\n".join(bad)


def test_failure_inside_a_collective_aborts_the_job():
    code, result, err, seconds = launch(2, "abort")
    assert code != 0 and result is None
    assert "failed inside the collective step 'demo step'" in err
    assert "rank 1 cannot go on" in err
    assert seconds < TIMEOUT
