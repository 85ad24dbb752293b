"""The ``fieldconv`` command line: thin, it parses arguments and calls the package.

Subcommands
-----------
``validate``
    The main job: every operator family against closed forms, a table of
    checks with tolerances and PASS/FAIL verdicts, a figure per family; exit
    status 1 when a check fails (:func:`fieldconv.validation.validate`).
``info``
    Backends available, threads, FFTW planner and wisdom, caches and the
    versions of the numerical libraries.
``demo``
    A tour of the FFT backends (spectral derivative, error and time per backend).

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
        f"FFTW planner effort: {_planner_effort()} (FIELDCONV_FFTW_PLANNER)",
        f"FFTW wisdom file: {os.environ.get('FIELDCONV_FFTW_WISDOM', 'unset')} (FIELDCONV_FFTW_WISDOM; "
        "save with fieldconv.backend.save_wisdom)",
        f"numba cache: {os.environ.get('NUMBA_CACHE_DIR') or 'next to the installed package'} (NUMBA_CACHE_DIR)",
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


def _planner_effort():
    from .backend import get_backend

    try:
        return get_backend("pyfftw").planner_effort
    except ImportError:
        return "n/a (pyFFTW not installed)"


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


#: Sub-parser builders, in the order of ``fieldconv --help``; a new subcommand adds its builder here.
SUBCOMMANDS = (_add_validate, _add_info, _add_demo)


def build_parser():
    """The argparse parser of the ``fieldconv`` command."""
    parser = argparse.ArgumentParser(
        prog="fieldconv",
        description="Convolution toolkit for simulation and spectroscopy. The main job is "
                    "`fieldconv validate`: it checks this installation against closed forms.",
        epilog="examples:\n  fieldconv validate --quick\n  fieldconv info\n  fieldconv validate --help",
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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
