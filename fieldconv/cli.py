"""The ``fieldconv`` command line: thin, it parses arguments and calls the package.

Subcommands
-----------
``validate``
    The main job: every operator family against closed forms, a table of
    checks with tolerances and PASS/FAIL verdicts, a figure per family; exit
    status 1 when a check fails (:func:`fieldconv.validation.validate`).
``warmup``
    Compile the numba kernels and measure the FFTW plans a job will use
    (``fieldconv.validation.warmup``), for job scripts on clusters.
``info``
    Backends available, threads, FFTW planner and wisdom, caches and the
    versions of the numerical libraries.
``demo``
    A tour of the FFT backends (spectral derivative, error and time per backend).
``paint``, ``poisson``, ``convolve``, ``smooth``, ``batch``
    The file jobs of :mod:`fieldconv.io` (snapshots and meshes in HDF5, resumable batches).

A subcommand is two small functions: ``_add_<name>(sub)`` builds its
sub-parser (a description and an example in its help) and
``_cmd_<name>(args)`` calls the package and returns the exit status; the
builder is listed in :data:`SUBCOMMANDS`.  Exit status 2 is a usage or input
error, reported in one line without a traceback.
"""

import argparse
import os
import sys

from . import __version__

__all__ = ["main", "build_parser", "info_text", "SUBCOMMANDS"]


class _LazyNames:
    """Choices computed on first use, so that building the parser imports nothing heavy."""

    def __init__(self, fn):
        self._fn = fn
        self._names = None

    def _get(self):
        if self._names is None:
            self._names = tuple(self._fn())
        return self._names

    def __contains__(self, x):
        return x in self._get()

    def __iter__(self):
        return iter(self._get())

    def __len__(self):
        return len(self._get())


def _family_names():
    from .validation import family_names

    return family_names()


def _problem_names():
    from .validation import PROBLEMS

    return sorted(PROBLEMS)


def _backend_names():
    from .backend import BACKEND_NAMES

    return [n for n in BACKEND_NAMES if n != "array_api"]


def _subparser(sub, name, summary, description, examples):
    return sub.add_parser(name, help=summary, description=f"{summary[0].upper()}{summary[1:]}.\n\n{description}",
                          epilog="examples:\n" + "\n".join(f"  {e}" for e in examples),
                          formatter_class=argparse.RawDescriptionHelpFormatter)


def _thread_count(text):
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer; got {text!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1; got {n}")
    return n


def _positive_int(text):
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer; got {text!r}") from None
    if n < 4:
        raise argparse.ArgumentTypeError(f"must be >= 4; got {n}")
    return n


def _writable_folder(path):
    """Create `path` if needed and prove it writable, before any work is done."""
    import tempfile

    try:
        os.makedirs(path, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".fieldconv-probe-"):
            pass
    except OSError as exc:
        raise ValueError(f"cannot write the results to --output {path!r}: {exc.strerror or exc}") from None


# ----------------------------------------------------------------------------- validate
def _add_validate(sub):
    p = _subparser(
        sub, "validate", "check this installation: every operator family against closed forms (the main job)",
        "Runs the stencils and spectral derivatives, Savitzky-Golay, convolution, mass assignment, the\n"
        "Poisson solvers and (where fieldconv.pm is installed) particle-mesh gravity against analytic solutions. Each check prints its measured value, its tolerance\n"
        "(derived from theory: round-off, truncation or convergence order), where the tolerance comes from,\n"
        "and PASS or FAIL. Writes validation.txt, validation.json and one PNG per family to --output.\n"
        "Exit status: 0 when every check passes, 1 when any fails, 2 on a usage error.\n"
        "The default run takes a few minutes on 2 cores, --quick well under one. On a machine shared with\n"
        "other jobs, --threads 1 avoids threads waiting for each other (the sizes are small).",
        ["fieldconv validate --quick", "fieldconv validate --families stencil savgol --output results",
         "fieldconv validate --families poisson --problems gauss3d trig3d --sizes 32 64 128"])
    p.add_argument("--quick", action="store_true", help="smaller sizes: well under a minute")
    p.add_argument("--families", nargs="+", metavar="NAME", choices=_LazyNames(_family_names), default=None,
                   help="families to run (default all): %(choices)s")
    p.add_argument("--problems", nargs="+", metavar="NAME", choices=_LazyNames(_problem_names), default=None,
                   help="Poisson problems to run (default all): %(choices)s")
    p.add_argument("--sizes", nargs="+", type=_positive_int, metavar="N", default=None,
                   help="Poisson grid sizes, cells per axis (default 32 64 128; --quick: 32 64)")
    p.add_argument("--output", default="validation-output", metavar="DIR",
                   help="folder for the table, validation.json and the figures (default ./validation-output)")
    p.add_argument("--backend", default=None, choices=_LazyNames(_backend_names), metavar="NAME",
                   help="backend to validate: %(choices)s (default: the package default)")
    p.add_argument("--threads", type=_thread_count, default=None, metavar="N",
                   help="threads for FFTW, numba and BLAS (default: the package's policy, see `fieldconv info`)")
    p.add_argument("--no-plots", action="store_true", help="no figures (they need matplotlib: fieldconv[plot])")
    p.add_argument("--no-progress", action="store_true",
                   help="no progress bars (the one line per finished family on stderr stays)")
    p.set_defaults(func=_cmd_validate)


def _cmd_validate(args):
    from .validation import validate

    _writable_folder(args.output)
    plots = not args.no_plots
    if plots:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            print("matplotlib is not installed: no figures (pip install \"fieldconv[plot]\")", file=sys.stderr)
            plots = False
    from contextlib import nullcontext

    from .backend import threads

    options = {"poisson": {"problems": args.problems, "sizes": args.sizes}}
    with threads(args.threads) if args.threads else nullcontext():
        report = validate(args.families, quick=args.quick, backend=args.backend, options=options,
                          progress=not args.no_progress, log=sys.stderr)
    print(report.format())
    written = report.write(args.output, plots=plots)
    print(f"wrote {len(written)} files to {os.path.abspath(args.output)}: {', '.join(os.path.basename(w) for w in written)}")
    return report.exit_code


# ----------------------------------------------------------------------------- info
def _add_info(sub):
    p = _subparser(
        sub, "info", "report the backends, threads, FFTW planner and wisdom, caches and library versions",
        "What a bug report or a cluster job log should start with. Imports no optional library it does not\n"
        "need to describe, plans no FFT and compiles nothing.",
        ["fieldconv info", "FIELDCONV_NUM_THREADS=4 fieldconv info"])
    p.set_defaults(func=_cmd_info)


def _versions():
    import importlib.metadata as md

    out = {}
    for dist in ("numpy", "scipy", "pyFFTW", "numba", "h5py", "astropy", "cupy", "mpi4py", "mpi4py-fft"):
        try:
            out[dist] = md.version(dist)
        except md.PackageNotFoundError:
            out[dist] = "not installed"
    return out


def info_text():
    """The report printed by ``fieldconv info``, as a string."""
    from .backend import BACKEND_NAMES, backend_status, default_threads, get_backend

    lines = [f"fieldconv {__version__}", "", "backends:"]
    for name in BACKEND_NAMES:
        if name == "array_api":
            continue
        try:  # one line per backend: what it is, or why it is unusable and how to install it
            status = f"available (threads={get_backend(name).threads}): {backend_status(name)[1]}"
        except ImportError as exc:  # BackendUnavailableError carries the install hint
            status = f"unavailable: {exc}"
        lines.append(f"  {name:8s} {status}")
    lines.append(f"  default  {get_backend().name}")
    lines += [
        "",
        f"threads: {default_threads()} for FFTW, numba and BLAS "
        f"(FIELDCONV_NUM_THREADS={os.environ.get('FIELDCONV_NUM_THREADS', 'unset')}; "
        "scoped: fieldconv.backend.threads(n))",
        "",
        *_planner_lines(),
        "",
        *_numba_lines(),
        "",
        "caches (fieldconv.backend.cache_info / set_cache_limit / clear_caches):",
        *_cache_lines(),
        "",
        "libraries:",
    ]
    lines += [f"  {k:10s} {v}" for k, v in _versions().items()]
    return "\n".join(lines)


def _cache_lines():
    from .backend import cache_info

    out = []
    for name, info in cache_info().items():
        if info["description"].startswith("(not created"):
            bound = "not created yet (its module is not imported)"
        elif info["max_bytes"] is None:
            bound = "freed with their owners"
        else:
            bound = f"bound {info['max_bytes'] / 2**20:.0f} MiB"
        out.append(f"  {name:20s} {info['entries']} entries, {info['nbytes'] / 2**20:.1f} MiB, {bound}")
    return out


def _planner_lines():
    from .backend import fft_planner_info

    try:
        info = fft_planner_info()
    except ImportError:
        return ["FFT planner: n/a (pyFFTW not installed; the numpy backend uses scipy.fft)"]
    cache = info["wisdom_cache"]
    if info["policy"] == "auto":
        policy = ("auto (first calls on scipy.fft or FFTW wisdom; FFTW_MEASURE in the background once a "
                  f"transform is reused; never on prime factors > {info['large_prime']})")
    else:
        policy = f"{info['policy']} (fixed: every new transform is planned with it on its first call)"
    state = "on" if cache["enabled"] else "off"
    size = f"{cache['nbytes'] / 1024:.1f} KiB" if cache["exists"] else "not written yet"
    seen = ", ".join(f"{n} {k}" for k, n in sorted(info["transforms"].items())) or "none yet in this process"
    return [
        f"FFT planner: {policy}",
        f"  set with: FIELDCONV_FFTW_PLANNER={os.environ.get('FIELDCONV_FFTW_PLANNER', 'unset')} "
        "(auto, FFTW_ESTIMATE, FFTW_MEASURE, FFTW_PATIENT, FFTW_EXHAUSTIVE) or planner_effort=",
        f"  wisdom cache: {state}, {cache['path']} ({size}); "
        f"FIELDCONV_FFTW_WISDOM_CACHE={os.environ.get('FIELDCONV_FFTW_WISDOM_CACHE', 'unset')}, "
        f"FIELDCONV_CACHE_DIR={os.environ.get('FIELDCONV_CACHE_DIR', 'unset')}",
        f"  wisdom file: {os.environ.get('FIELDCONV_FFTW_WISDOM', 'unset')} (FIELDCONV_FFTW_WISDOM; "
        "fieldconv.backend.save_wisdom / load_wisdom)",
        f"  transforms: {seen}",
    ]


def _numba_lines():
    import importlib.util

    from . import _jit

    spec = importlib.util.find_spec("fieldconv.stencil._compiled")
    folder, rule = _jit.cache_location(spec.origin)
    if folder is None:
        where = "no writable folder: kernels are compiled again in every process"
    elif rule == "package __pycache__":
        where = f"{os.path.dirname(os.path.dirname(folder))}/<family>/__pycache__ ({rule})"
    else:
        where = f"{os.path.dirname(folder)} ({rule})"
    return [
        "compiled kernels (numba): compiled on first use, for the dtypes a call needs; "
        "`fieldconv warmup` compiles ahead of a job",
        f"  cache: {where}; NUMBA_CACHE_DIR={os.environ.get('NUMBA_CACHE_DIR', 'unset')}",
    ]


def _cmd_info(args):
    print(info_text())
    return 0


# ----------------------------------------------------------------------------- demo
def _add_demo(sub):
    p = _subparser(
        sub, "demo", "a tour of the FFT backends: a spectral derivative on each, its error and time",
        "Differentiates sin(x)cos(2y)+0.5sin(3z) spectrally on every usable CPU backend, in float32 and\n"
        "float64, and prints the error against the analytic derivative and the time per FFT pair.\n"
        "To check an installation, run `fieldconv validate` instead.",
        ["fieldconv demo", "fieldconv demo --size 128 --backend numpy"])
    p.add_argument("--size", type=int, default=64, help="grid points per axis (default 64)")
    p.add_argument("--backend", default=None, choices=_LazyNames(_backend_names), metavar="NAME",
                   help="run only this backend: %(choices)s (default: every usable CPU backend)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_demo)


def _cmd_demo(args):
    from .validation import run_demo

    return run_demo(size=args.size, backend=args.backend, progress=not args.no_progress)


def _add_warmup(sub):
    from .validation import WARMUP_FAMILIES

    p = _subparser(
        sub, "warmup", "compile kernels and plan FFTs ahead of a job",
        "Compiles the numba kernels (into numba's on-disk cache) and measures the FFTW plans (into the\n"
        "per-user wisdom cache) that a job will use, and prints what was done and how long it took.\n"
        "Run it once per machine type before a job array; later processes start warm.",
        ["fieldconv warmup --shape 256 256 256", "fieldconv warmup --families fft stencil --dtypes float32 --shape 8 8"])
    p.add_argument("--families", nargs="+", choices=WARMUP_FAMILIES, default=None, metavar="FAMILY",
                   help=f"operator families (default all): {', '.join(WARMUP_FAMILIES)}")
    p.add_argument("--dtypes", nargs="+", choices=("float32", "float64"), default=["float64"],
                   help="field dtypes of the job (default float64)")
    p.add_argument("--shape", type=int, nargs="+", action="append", metavar="N",
                   help="a grid shape whose FFTW plans to measure (repeatable), e.g. --shape 256 256 256")
    p.add_argument("--threads", type=int, default=None,
                   help="threads the job will use (FFTW plans depend on it; default FIELDCONV_NUM_THREADS or all)")
    p.set_defaults(func=_cmd_warmup)


def _cmd_warmup(args):
    import contextlib
    import time

    from .backend import threads
    from .validation import warmup

    shapes = [tuple(s) for s in (args.shape or [])]
    failed = []

    def show(row):
        print(f"  {row['family']:12s} {row['step']:28s} {row['dtype']:8s} {row['seconds']:8.2f} s  {row['status']}",
              flush=True)
        if row["status"].startswith("failed") or "failed:" in row["status"]:
            failed.append(row)

    print(f"fieldconv warmup: families {', '.join(args.families or ['all'])}; dtypes {', '.join(args.dtypes)}; "
          f"FFT shapes {', '.join('x'.join(map(str, s)) for s in shapes) or 'none (--shape)'}")
    t0 = time.perf_counter()
    with threads(args.threads) if args.threads else contextlib.nullcontext():
        warmup(args.families, dtypes=args.dtypes, shapes=shapes, progress=show)
    print(f"done in {time.perf_counter() - t0:.1f} s; caches:")
    for line in _numba_lines()[1:] + _planner_lines()[2:3]:
        print(line)
    return 1 if failed else 0


#: Sub-parser builders, in the order of ``fieldconv --help``; a new subcommand adds its builder here.
def build_parser():
    """The argparse parser of the ``fieldconv`` command."""
    parser = argparse.ArgumentParser(
        prog="fieldconv",
        description="Convolution toolkit for simulation and spectroscopy. The main job is "
                    "`fieldconv validate`: it checks this installation against closed forms.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"fieldconv {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in SUBCOMMANDS:
        add(sub)
    return parser


def main(argv=None):
    """Entry point of the ``fieldconv`` console script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        parser.print_help()
        return 0
    try:
        return int(args.func(args) or 0)
    except (ValueError, TypeError, ImportError, OSError) as exc:
        print(f"fieldconv {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"fieldconv {args.command}: interrupted", file=sys.stderr)
        return 130


# ----------------------------------------------------------------------------- io jobs (issue 15)
# paint, poisson, convolve, smooth and batch: each an ``_add_<name>(sub)`` builder (options and help
# with an example) and a ``_cmd_<name>(args)`` handler that turns the options given into the job's
# parameters (defaults stay in fieldconv.io) and calls fieldconv.io.  Registered by IO_SUBCOMMANDS.
# Exit status: 0 done, 1 a batch task failed, 2 a usage or input error (main), 130 interrupted.
def _io_parser(sub, name, summary, description, examples):
    return sub.add_parser(name, help=summary, description=f"{summary[0].upper()}{summary[1:]}.\n\n{description}",
                          epilog="examples:\n" + "\n".join(f"  {e}" for e in examples),
                          formatter_class=argparse.RawDescriptionHelpFormatter)


def _kv_value(text):
    """A KEY=VALUE value: int, float, true/false, or the string (units allowed: '0.5 Mpc')."""
    low = text.lower()
    if low in ("true", "false"):
        return low == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def _kv_pairs(items, name):
    out = {}
    for item in items or ():
        key, sep, val = item.partition("=")
        if not sep or not key:
            raise ValueError(f"{name} must be KEY=VALUE; got {item!r}")
        out[key] = _kv_value(val)
    return out


def _io_logging(args):
    """The ``fieldconv`` loggers to stderr (whatever sys.stderr is now), at the level the flags ask for."""
    import logging

    class StderrHandler(logging.Handler):
        def emit(self, record):
            print(self.format(record), file=sys.stderr)

    logger = logging.getLogger("fieldconv")
    logger.setLevel(logging.WARNING if args.quiet else (logging.DEBUG if args.verbose else logging.INFO))
    if not any(type(h).__name__ == "StderrHandler" for h in logger.handlers):
        logger.addHandler(StderrHandler())
        logger.propagate = False
    return logger


def _io_common(p, *, output_required=True):
    p.add_argument("--output", "-o", required=output_required, metavar="FILE",
                   help="HDF5 file to write (replaced atomically: never a partial file)")
    p.add_argument("--dry-run", "-n", action="store_true",
                   help="check the options and inputs, print what would run; compute and write nothing")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--quiet", "-q", action="store_true", help="errors only (no progress bar)")
    g.add_argument("--verbose", "-v", action="store_true", help="the parameters used and the time of each part")


def _snapshot_options(p, *, required=True):
    p.add_argument("snapshot", nargs=None if required else "?",
                   help="snapshot file, any piece of a multi-file one, or its base name (snap_010)")
    p.add_argument("--shape", type=int, nargs="+", metavar="N", required=required,
                   help="mesh cells: one number or one per axis")
    p.add_argument("--scheme", choices=("ngp", "cic", "tsc", "pcs"), help="assignment window (default cic)")
    p.add_argument("--ptypes", type=int, nargs="+", metavar="T", help="particle types (default: all with particles)")
    p.add_argument("--box-size", metavar="L", help="box length, plain (code units) or with units ('100 Mpc'); "
                                                   "default the header's BoxSize")
    p.add_argument("--origin", metavar="X0", help="lower corner of the mesh (isolated boxes; default 0)")
    p.add_argument("--units", nargs="+", metavar="KIND=UNIT",
                   help="code units, overriding the file's: length=kpc mass='1e10 solMass' velocity=km/s")
    p.add_argument("--positions", metavar="DATASET", help="generic layout: the dataset of the positions")
    p.add_argument("--masses", metavar="DATASET|M", help="generic layout: the dataset of the masses, or one mass")
    p.add_argument("--dtype", choices=("float32", "float64"), help="mesh dtype (default: the positions')")
    p.add_argument("--no-check", action="store_true", help="skip the finite/in-box check of the positions")


def _snapshot_params(args):
    if not args.shape:
        raise ValueError("--shape is required: the mesh cells, one number or one per axis")
    p = {"shape": args.shape[0] if len(args.shape) == 1 else args.shape}
    for key in ("scheme", "ptypes", "dtype", "positions"):
        if getattr(args, key) is not None:
            p[key] = getattr(args, key)
    for key in ("box_size", "origin", "masses"):
        if getattr(args, key) is not None:
            p[key] = _kv_value(getattr(args, key))
    if args.units:
        p["units"] = {k: str(v) for k, v in _kv_pairs(args.units, "--units").items()}
    if args.no_check:
        p["check"] = False
    return p


def _io_run(step, source, args, params, comm=None):
    import json

    from .io import run_step

    log = _io_logging(args)
    if comm is None:
        info = run_step(step, source, args.output, params, progress=not args.quiet, dry_run=args.dry_run)
    else:  # started by mpiexec/srun with several ranks: the same job across them, rank 0 reports
        from .distributed import run_step as run_distributed

        info = run_distributed(step, source, args.output, params, comm=comm, dry_run=args.dry_run)
        if comm.Get_rank() != 0:
            return 0
    if args.dry_run:
        print(f"would run {step} on {', '.join(r['path'] for r in info['inputs'])} -> {info['output']}")
        print(f"parameters: {json.dumps(info['parameters'], sort_keys=True)}")
        print(f"task key: {info['key']}")
        return 0
    log.info("wrote %s (%s)", info["output"], ", ".join(info.get("fields", [])))
    log.debug("parameters: %s", json.dumps(info["parameters"], sort_keys=True))
    if info.get("seconds"):
        log.debug("seconds: %s", ", ".join(f"{k} {v:.2f}" for k, v in info["seconds"].items()))
    return 0


def _add_paint(sub):
    p = _io_parser(
        sub, "paint", "paint a snapshot's particles on a density mesh (HDF5 out)",
        "Reads a Gadget-2/3/4, SWIFT or generic HDF5 snapshot chunk by chunk (bounded memory) and writes\n"
        "the dataset `density` (or `mass` per cell with --mass) with a units attribute, the grid and\n"
        "provenance (parameters, input files and their SHA-256).",
        ["fieldconv paint snap_010 --shape 256 --scheme tsc --output rho_010.h5",
         "fieldconv paint cube.h5 --positions /pos --masses 1.0 --box-size '50 Mpc' --shape 128 -o rho.h5"])
    _snapshot_options(p)
    p.add_argument("--mass", action="store_true", help="mass per cell instead of density")
    _io_common(p)
    p.set_defaults(func=_cmd_paint)


def _cmd_paint(args):
    p = _snapshot_params(args)
    if args.mass:
        p["density"] = False
    return _io_run("paint", args.snapshot, args, p)


def _add_poisson(sub):
    p = _io_parser(
        sub, "poisson", "paint a snapshot, solve for the potential and forces (HDF5 out)",
        "Paints the particles, solves lap(phi) = 4 pi G rho on the mesh (periodic, or isolated with\n"
        "--bc isolated) and writes the datasets `density`, `potential` and `forces` (the mesh force per\n"
        "unit mass, components first), each with a units attribute; with --particles also\n"
        "`particles/PartTypeN/acceleration`, the forces read out at the particles. G is astropy's in the\n"
        "snapshot's units when they are known, else 1. --example runs on built-in data: a Plummer\n"
        "sphere of 200,000 particles in an isolated box (written to a temporary folder). Started under\n"
        "`mpiexec -n P` (or srun) with P > 1 it runs distributed (fieldconv.distributed; periodic boxes)\n"
        "and writes the same file, equal to the serial one to round-off.",
        ["fieldconv poisson snap.hdf5 --shape 256 --scheme cic --output out.h5",
         "fieldconv poisson snap_010 --shape 128 --bc isolated --particles --output iso.h5",
         "fieldconv poisson --example --output plummer.h5",
         "mpiexec -n 4 fieldconv poisson snap_010 --shape 512 --output out.h5"])
    _snapshot_options(p, required=False)
    p.add_argument("--bc", choices=("periodic", "isolated"), help="boundary condition (default periodic)")
    p.add_argument("--green", choices=("continuous", "discrete", "optimal", "spectral", "integrated"),
                   help="Green's function (periodic: continuous, discrete, optimal; isolated: spectral, integrated)")
    p.add_argument("--differencing", choices=("spectral", "fd"), help="force differencing (default spectral)")
    p.add_argument("--G", metavar="G", help="gravitational constant: code units, or with units "
                                            "('6.674e-11 m3 / (kg s2)')")
    p.add_argument("--particles", action="store_true", help="also the accelerations at the particles")
    p.add_argument("--example", action="store_true",
                   help="run on built-in data (a Plummer sphere; default --shape 64 --bc isolated --particles)")
    _io_common(p, output_required=False)
    p.set_defaults(func=_cmd_poisson)


def _cmd_poisson(args):
    if args.example:
        return _poisson_example(args)
    if args.snapshot is None or args.output is None:
        raise ValueError("give a snapshot and --output (or --example to run on built-in data)")
    p = _snapshot_params(args)
    for key in ("bc", "green", "differencing"):
        if getattr(args, key) is not None:
            p[key] = getattr(args, key)
    if args.G is not None:
        p["G"] = _kv_value(args.G)
    if args.particles:
        p["particles"] = True
    return _io_run("poisson", args.snapshot, args, p, comm=_launched_comm())


def _launched_comm():
    """``MPI.COMM_WORLD`` when started by an MPI launcher with several ranks (``mpiexec -n P``), else None."""
    from .distributed import is_available, launched_ranks

    if launched_ranks() <= 1:
        return None
    if not is_available():
        from .errors import BackendUnavailableError

        raise BackendUnavailableError(f"started with {launched_ranks()} MPI ranks, but the distributed mode needs "
                                      "mpi4py and mpi4py-fft: pip install 'fieldconv[mpi]'")
    from mpi4py import MPI

    return MPI.COMM_WORLD


def _poisson_example(args):
    import tempfile

    from .io import write_plummer_snapshot

    if args.snapshot is not None:
        raise ValueError("--example runs on built-in data: give no snapshot")
    args.shape = args.shape or [64]
    args.bc = args.bc or "isolated"
    args.particles = True
    args.output = args.output or "poisson-example.h5"
    with tempfile.TemporaryDirectory(prefix="fieldconv-example-") as folder:
        base = os.path.join(folder, "plummer")
        write_plummer_snapshot(base, 200_000, nfiles=2,
                               units={"length": "kpc", "mass": "1e10 solMass", "velocity": "km/s"})
        if not args.quiet:
            print("built-in snapshot: a Plummer sphere (a = 1 kpc, M = 1e10 solMass, 200,000 particles, 2 files) "
                  "in an isolated 12 kpc box; compare with fieldconv.io.plummer_acceleration", file=sys.stderr)
        args.snapshot, args.example = base + ".0.hdf5", False
        return _cmd_poisson(args)


def _add_convolve(sub):
    p = _io_parser(
        sub, "convolve", "smooth a mesh dataset with a kernel (HDF5 out)",
        "Convolves a dataset of a fieldconv mesh file with a smoothing kernel (gaussian, box,\n"
        "unsharp_mask); periodic grids wrap. Kernel widths in cells, or with units of the grid's length.",
        ["fieldconv convolve rho_010.h5 --kernel gaussian --kernel-arg sigma='0.5 Mpc' --output s.h5",
         "fieldconv convolve out.h5 --dataset potential --kernel box --kernel-arg size=3 -o box.h5"])
    p.add_argument("mesh", help="a fieldconv mesh file (written by paint, poisson or fieldconv.io.write_mesh)")
    p.add_argument("--dataset", help="dataset to convolve (default density, or the file's one mesh)")
    p.add_argument("--kernel", choices=("gaussian", "box", "unsharp_mask"), help="default gaussian")
    p.add_argument("--kernel-arg", nargs="+", metavar="KEY=VALUE",
                   help="kernel arguments: sigma=2 (cells) or sigma='0.5 Mpc'")
    p.add_argument("--mode", choices=("reflect", "constant", "nearest", "mirror", "wrap"),
                   help="boundary (default wrap on periodic grids, constant otherwise)")
    p.add_argument("--method", choices=("auto", "direct", "separable", "fft", "overlap-add"))
    p.add_argument("--output-dataset", help="name of the result (default: the input's)")
    _io_common(p)
    p.set_defaults(func=_cmd_convolve)


def _cmd_convolve(args):
    p = {k: getattr(args, k) for k in ("dataset", "kernel", "mode", "method", "output_dataset")
         if getattr(args, k) is not None}
    if args.kernel_arg:
        p["kernel_args"] = _kv_pairs(args.kernel_arg, "--kernel-arg")
    return _io_run("convolve", args.mesh, args, p)


def _add_smooth(sub):
    p = _io_parser(
        sub, "smooth", "Savitzky-Golay smoothing or derivatives of a spectra file (HDF5 out)",
        "Smooths (or differentiates along the axis as given) every spectrum of a file: fieldconv HDF5,\n"
        "CSV or JCAMP-DX. Writes /spectra/<name>/axis and /y with astropy units (absorbance is\n"
        "dimensionless, named in the `quantity` attribute).",
        ["fieldconv smooth spectra.csv --window-length 11 --polyorder 3 --output smooth.h5",
         "fieldconv smooth pe.jdx --window-length 15 --polyorder 3 --deriv 1 -o pe_d1.h5"])
    p.add_argument("spectra", help="spectra file (.h5/.hdf5, .csv, .jdx/.dx)")
    p.add_argument("--window-length", required=True, type=int, metavar="N", help="samples in the window (odd)")
    p.add_argument("--polyorder", required=True, type=int, metavar="K", help="polynomial degree")
    p.add_argument("--deriv", type=int, default=0, help="derivative order (default 0)")
    p.add_argument("--mode", choices=("interp", "mirror", "nearest", "constant", "wrap"), help="default interp")
    _io_common(p)
    p.set_defaults(func=_cmd_smooth)


def _cmd_smooth(args):
    p = {"window_length": args.window_length, "polyorder": args.polyorder, "deriv": args.deriv}
    if args.mode is not None:
        p["mode"] = args.mode
    return _io_run("smooth", args.spectra, args, p)


def _add_batch(sub):
    p = _io_parser(
        sub, "batch", "run many inputs and steps from a TOML config, resumably",
        "Runs every step of the config on every input it matches. Each finished output is recorded in a\n"
        "manifest next to the outputs with the hash of its inputs and parameters: rerunning the same\n"
        "command after an interruption skips finished work (verified by hash) and redoes only what is\n"
        "missing or stale. A bad input is reported and the rest go on. Exit status: 0 all done, 1 a\n"
        "task failed, 2 a bad config, 130 interrupted. The config format is in docs/io.md.",
        ["fieldconv batch runs.toml --jobs 4        (rerun the same command to resume)",
         "fieldconv batch runs.toml --dry-run       (what would run, and why)"])
    p.add_argument("config", help="batch config (TOML)")
    p.add_argument("--jobs", "-j", type=int, metavar="N",
                   help="files processed in parallel processes, each with cores/N threads "
                        "(default: the config's jobs, else 1)")
    p.add_argument("--dry-run", "-n", action="store_true", help="say what would run and why; write nothing")
    p.add_argument("--verify", choices=("stat", "content"), default="stat",
                   help="check finished outputs by size and mtime, hashing changed ones (stat, default), "
                        "or hash them all (content)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--quiet", "-q", action="store_true", help="only failures, and the summary of a failed run")
    g.add_argument("--verbose", "-v", action="store_true", help="every task in the summary")
    p.set_defaults(func=_cmd_batch)


def _cmd_batch(args):
    from .io import BatchInterrupted, run_batch

    _io_logging(args)
    try:
        summary = run_batch(args.config, jobs=args.jobs, dry_run=args.dry_run,
                            progress=not (args.quiet or args.no_progress), verify=args.verify)
    except BatchInterrupted as exc:
        print(exc.summary.format(verbose=args.verbose), file=sys.stderr)
        return 130
    if not args.quiet or not summary.ok:
        print(summary.format(verbose=args.verbose or args.dry_run))
    return summary.exit_code


#: Examples under ``fieldconv --help`` (each subcommand's ``--help`` has its own).
EPILOG = """examples:
  fieldconv validate --quick                       the main job: every operator family against closed forms
  fieldconv info                                   what runs here: backends, threads, versions
  fieldconv demo                                   a tour of the FFT backends
  fieldconv poisson --example -o plummer.h5        density, potential, forces of a built-in Plummer sphere
  fieldconv poisson snap.hdf5 --shape 256 --scheme cic -o out.h5
  fieldconv batch runs.toml --jobs 4               many files, resumable: rerun to finish
  fieldconv warmup --shape 256 256 256             compile kernels and plan FFTs once, before a job array
  fieldconv COMMAND --help                         options of COMMAND, with examples
"""


#: Sub-parser builders of the io jobs, in the order of ``fieldconv --help``.
IO_SUBCOMMANDS = (_add_paint, _add_poisson, _add_convolve, _add_smooth, _add_batch)

#: Every sub-parser builder, in the order of ``fieldconv --help``.
SUBCOMMANDS = (_add_validate, _add_info, _add_demo, _add_warmup, *IO_SUBCOMMANDS)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
