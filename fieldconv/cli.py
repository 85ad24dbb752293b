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

    for add in IO_SUBCOMMANDS:
        add(sub)
    parser.epilog, parser.formatter_class = IO_EPILOG, argparse.RawDescriptionHelpFormatter
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


def _io_run(step, source, args, params):
    import json

    from .io import run_step

    log = _io_logging(args)
    info = run_step(step, source, args.output, params, progress=not args.quiet, dry_run=args.dry_run)
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
        "sphere of 200,000 particles in an isolated box (written to a temporary folder).",
        ["fieldconv poisson snap.hdf5 --shape 256 --scheme cic --output out.h5",
         "fieldconv poisson snap_010 --shape 128 --bc isolated --particles --output iso.h5",
         "fieldconv poisson --example --output plummer.h5"])
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
    return _io_run("poisson", args.snapshot, args, p)


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
IO_EPILOG = """examples:
  fieldconv info                                   what runs here: backends, threads, versions
  fieldconv demo                                   the main job on built-in data
  fieldconv validate --quick                       solvers against closed forms, N = 16, 32
  fieldconv poisson --example -o plummer.h5        density, potential, forces of a built-in Plummer sphere
  fieldconv poisson snap.hdf5 --shape 256 --scheme cic -o out.h5
  fieldconv batch runs.toml --jobs 4               many files, resumable: rerun to finish
  fieldconv COMMAND --help                         options of COMMAND, with examples
"""


#: Sub-parser builders of the io jobs, in the order of ``fieldconv --help``.
IO_SUBCOMMANDS = (_add_paint, _add_poisson, _add_convolve, _add_smooth, _add_batch)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
