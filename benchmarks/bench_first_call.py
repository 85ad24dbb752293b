"""What a user pays on a first call: numba compilation and FFT planning, per operator.

Each operator runs in fresh Python processes:

* ``cold``: ``NUMBA_CACHE_DIR`` and the FFTW wisdom cache point at an empty
  temporary folder (a fresh install: nothing compiled, nothing planned);
* ``warm``: a second fresh process on the same folder (what every later job
  pays: numba loads the compiled code from its cache);
* ``steady``: the median of further calls in the warm process;
* ``scipy``: a fresh process making the first call of the nearest SciPy
  function (import included), where one exists.

The first-call figures include ``import fieldconv`` (lazy, milliseconds) and
the lazy imports the call triggers (numba, scipy, pyFFTW); the inputs are
made before the clock starts.  The README example (``examples/quickstart.py``)
is timed as a whole script, cold and warm.  Usage::

    python benchmarks/bench_first_call.py                  # every operator
    python benchmarks/bench_first_call.py paint laplacian  # a few
    python benchmarks/bench_first_call.py --list
"""

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent

_POS = "pos = np.random.default_rng(0).random((100_000, 3))"
_MESH = "mesh = np.random.default_rng(0).random((64, 64, 64))"
_IMG = "img = np.random.default_rng(0).standard_normal((512, 512)).astype(np.float32)"
_SPEC = "y = np.random.default_rng(0).standard_normal(3601)"

#: name -> (setup, fieldconv call, scipy setup, scipy call or None)
OPERATORS = {
    "convolve": (
        _IMG + "; from fieldconv import kernels; k = kernels.gaussian(1.5, ndim=2)",
        "fc.convolve(img, k, mode='reflect')",
        _IMG + "; w = np.ones((7, 7), np.float32) / 49",
        "scipy.ndimage.convolve(img, w, mode='reflect')",
    ),
    "correlate1d": (
        _SPEC + "; w = np.ones(21) / 21",
        "fc.correlate1d(y, w)",
        _SPEC + "; w = np.ones(21) / 21",
        "scipy.ndimage.correlate1d(y, w)",
    ),
    "savgol_filter": (_SPEC, "fc.savgol_filter(y, 21, 3, deriv=1)", _SPEC, "scipy.signal.savgol_filter(y, 21, 3, deriv=1)"),
    "median_filter": (_IMG, "fc.median_filter(img, 5)", _IMG, "scipy.ndimage.median_filter(img, 5)"),
    "spectral_filter": (_MESH, "fc.spectral_filter(mesh, 2.0, kind='gaussian')", None, None),
    "smooth_laplacian": (_MESH, "fc.smooth_laplacian(mesh, 0.1)", None, None),
    "laplacian": (
        _MESH,
        "fc.stencil.laplacian(mesh, spacing=1.0, bc='periodic')",
        _MESH,
        "scipy.ndimage.laplace(mesh, mode='wrap')",
    ),
    "gradient": (_MESH, "fc.stencil.gradient(mesh, spacing=1.0, bc='periodic')", _MESH, "np.gradient(mesh)"),
    "solve_poisson": (
        _MESH,
        "fc.solve_poisson(mesh, spacing=1 / 64, bc='periodic')",
        _MESH,
        "scipy.fft.irfftn(scipy.fft.rfftn(mesh), s=mesh.shape)",
    ),
    "solve_poisson_isolated": (
        _MESH,
        "fc.solve_poisson(mesh, spacing=1 / 64, bc='isolated')",
        _MESH,
        "scipy.fft.irfftn(scipy.fft.rfftn(mesh, s=(128,) * 3), s=(128,) * 3)",
    ),
    "paint": (_POS, "fc.paint(pos, box_size=1.0, shape=(64, 64, 64), scheme='cic')", None, None),
    "paint_tsc": (_POS, "fc.paint(pos, box_size=1.0, shape=(64, 64, 64), scheme='tsc')", None, None),
    "readout": (_POS + "; " + _MESH, "fc.readout(mesh, pos, box_size=1.0, scheme='cic')", None, None),
    "readout_gradient": (
        _POS + "; " + _MESH,
        "fc.readout_gradient(mesh, pos, box_size=1.0, scheme='cic')",
        None,
        None,
    ),
}

_CHILD = """
import time, json, statistics
import numpy as np
{setup}
t0, c0 = time.perf_counter(), time.process_time()
import {module}
{imp}
{call}
first, first_cpu = time.perf_counter() - t0, time.process_time() - c0
steady = []
for _ in range({repeats}):
    t = time.perf_counter()
    {call}
    steady.append(time.perf_counter() - t)
print("RESULT " + json.dumps({{"first": first, "first_cpu": first_cpu, "steady": statistics.median(steady) if steady else None}}))
"""


def _env(cache_dir):
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # the package's .pyc files are used, as after `pip install`
    env["NUMBA_CACHE_DIR"] = str(cache_dir / "numba")
    env["FIELDCONV_CACHE_DIR"] = str(cache_dir / "fieldconv")
    env.pop("FIELDCONV_FFTW_WISDOM", None)
    return env


def _child(code, env, timeout):
    proc = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=timeout
    )
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise RuntimeError(f"child failed (rc={proc.returncode}):\n{proc.stdout}\n{proc.stderr[-3000:]}")


def run_operator(name, cache_dir, repeats, timeout):
    setup, call, sp_setup, sp_call = OPERATORS[name]
    env = _env(cache_dir)
    fc_code = dict(module="fieldconv as fc", imp="import fieldconv.stencil" if "stencil" in call else "", call=call)
    cold = _child(_CHILD.format(setup=setup, repeats=0, **fc_code), env, timeout)
    warm = _child(_CHILD.format(setup=setup, repeats=repeats, **fc_code), env, timeout)
    row = {"cold": cold["first"], "cold_cpu": cold["first_cpu"], "warm": warm["first"], "warm_cpu": warm["first_cpu"],
           "steady": warm["steady"], "scipy": None}
    if sp_call is not None:
        mod = sp_call.split("(")[0].rsplit(".", 1)[0]
        mod = "numpy" if mod == "np" else mod
        sp = _child(_CHILD.format(setup=sp_setup, repeats=repeats, module=mod, imp="", call=sp_call), env, timeout)
        row["scipy"], row["scipy_cpu"] = sp["first"], sp["first_cpu"]
        row["scipy_steady"] = sp["steady"]
    return row


def run_script(path, cache_dir, timeout):
    env = _env(cache_dir)
    out = []
    for _ in range(2):
        before = os.times()
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, str(path)], env=env, capture_output=True, text=True, timeout=timeout)
        if proc.returncode:
            raise RuntimeError(f"{path} failed:\n{proc.stderr[-3000:]}")
        after = os.times()
        cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
        out.append((time.perf_counter() - t0, cpu))
    return out


def _fmt(t):
    return "-" if t is None else f"{t:8.2f}"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("operators", nargs="*", help="subset of operators (default all, plus the README example)")
    p.add_argument("--list", action="store_true", help="list the operators and exit")
    p.add_argument("--repeats", type=int, default=5, help="steady calls in the warm process (median)")
    p.add_argument("--timeout", type=float, default=900.0, help="seconds per child process")
    p.add_argument("--no-readme", action="store_true", help="skip the README example")
    p.add_argument("--json", default=None, help="also write the results to this JSON file")
    args = p.parse_args(argv)
    if args.list:
        print("\n".join(OPERATORS))
        return 0
    names = args.operators or list(OPERATORS)
    import compileall

    import fieldconv

    compileall.compile_dir(os.path.dirname(fieldconv.__file__), quiet=1)
    unknown = sorted(set(names) - set(OPERATORS))
    if unknown:
        p.error(f"unknown operators {unknown}; choose from {list(OPERATORS)}")
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; seconds per first call, fresh processes "
          "(wall; 'cpu': CPU seconds of the process, less sensitive to a loaded machine)")
    header = (f"{'operator':24s} {'cold':>8s} {'cold cpu':>8s} {'warm':>8s} {'warm cpu':>8s} {'steady':>8s} "
              f"{'scipy 1st':>9s} {'scipy cpu':>9s} {'cold/scipy':>10s}")
    print(header)
    print("-" * len(header))
    results = {}
    for name in names:
        with tempfile.TemporaryDirectory(prefix=f"fc-first-{name}-") as tmp:
            row = run_operator(name, pathlib.Path(tmp), args.repeats, args.timeout)
        results[name] = row
        ratio = "-" if row["scipy"] is None else f"{row['cold'] / row['scipy']:10.1f}"
        print(f"{name:24s} {_fmt(row['cold'])} {_fmt(row['cold_cpu'])} {_fmt(row['warm'])} {_fmt(row['warm_cpu'])} "
              f"{_fmt(row['steady'])} {_fmt(row['scipy']):>9s} {_fmt(row.get('scipy_cpu')):>9s} {ratio:>10s}", flush=True)
    if not args.operators and not args.no_readme:
        with tempfile.TemporaryDirectory(prefix="fc-first-readme-") as tmp:
            cold, warm = run_script(HERE.parent / "examples" / "quickstart.py", pathlib.Path(tmp), args.timeout)
        results["README example"] = {"cold": cold[0], "cold_cpu": cold[1], "warm": warm[0], "warm_cpu": warm[1]}
        print(f"{'README example (script)':24s} {_fmt(cold[0])} {_fmt(cold[1])} {_fmt(warm[0])} {_fmt(warm[1])}")
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
