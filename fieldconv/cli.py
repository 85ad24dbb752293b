"""The ``fieldconv`` command line: thin, it parses arguments and calls the package.

Subcommands
-----------
``info``
    Backends available, threads, FFTW wisdom location and the versions of the
    numerical libraries.
``demo``
    The main job on built-in data (see README.md).
``validate``
    The Poisson solvers against closed-form potentials: error table and
    convergence PNG (see validation/README.md).

Later subcommands (``validate``, ``paint``, ``poisson``, ``smooth``,
``batch``) register in :func:`build_parser` the same way: a sub-parser and a
function taking the parsed arguments and returning an exit status.
"""

import argparse
import os
import sys

from . import __version__

__all__ = ["main", "build_parser"]


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
        try:
            be = get_backend(name)
            status = f"available (threads={be.threads})"
        except Exception as exc:  # BackendUnavailableError and friends
            status = f"unavailable: {exc}"
        lines.append(f"  {name:8s} {status}")
    lines.append(f"  default  {get_backend().name}")
    ok, reason = backend_status("cupy")
    lines.append(f"  gpu      {reason}")
    lines += [
        "",
        f"threads: {default_threads()} for FFTW, numba and BLAS "
        f"(FIELDCONV_NUM_THREADS={os.environ.get('FIELDCONV_NUM_THREADS', 'unset')}; "
        "scoped: fieldconv.backend.threads(n))",
        f"FFTW planner effort: {_planner_effort()} "
        "(FIELDCONV_FFTW_PLANNER)",
        f"FFTW wisdom file: {os.environ.get('FIELDCONV_FFTW_WISDOM', 'unset')} (FIELDCONV_FFTW_WISDOM; "
        "save with fieldconv.backend.save_wisdom)",
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


def _cmd_demo(args):
    from .validation import run_demo

    return run_demo(size=args.size, backend=args.backend, progress=not args.no_progress)


def _cmd_validate(args):
    import pathlib

    from .validation import FULL_SIZES, QUICK_SIZES, format_table, plot_convergence, run_validation

    sizes = args.sizes or (QUICK_SIZES if args.quick else FULL_SIZES)
    outdir = pathlib.Path(args.output)
    outdir.mkdir(parents=True, exist_ok=True)
    rows = run_validation(sizes, problems=args.problems, backend=args.backend or "numpy", progress=not args.no_progress)
    table = format_table(rows)
    print(table)
    (outdir / "poisson_validation.txt").write_text(table + "\n")
    try:
        png = plot_convergence(rows, outdir / "poisson_convergence.png")
    except ImportError:
        print(f"wrote {outdir / 'poisson_validation.txt'}; no plot (pip install matplotlib)")
        return 0
    print(f"wrote {outdir / 'poisson_validation.txt'} and {png}")
    return 0


def build_parser():
    """The argparse parser of the ``fieldconv`` command."""
    parser = argparse.ArgumentParser(
        prog="fieldconv", description="Convolution toolkit for physics and spectroscopy."
    )
    parser.add_argument("--version", action="version", version=f"fieldconv {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("info", help="backends, threads, FFTW wisdom, library versions")
    p.set_defaults(func=_cmd_info)

    p = sub.add_parser("demo", help="the main job on built-in data")
    p.add_argument("--size", type=int, default=64, help="grid points per axis (default 64)")
    p.add_argument("--backend", default=None, help="backend name (default: resolved automatically)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_demo)

    p = sub.add_parser("validate", help="Poisson solvers vs closed-form potentials (table + PNG)")
    p.add_argument("--quick", action="store_true", help="N = 16, 32 only (a few seconds)")
    p.add_argument("--sizes", type=int, nargs="+", default=None, help="cells per axis (default 32 64 128)")
    p.add_argument("--problems", nargs="+", default=None, help="subset of problems (default all)")
    p.add_argument("--output", default="validation-output", help="directory for the table and the PNG")
    p.add_argument("--backend", default=None, help="backend name (default numpy)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_validate)
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
    except (ValueError, TypeError, ImportError) as exc:
        print(f"fieldconv {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
