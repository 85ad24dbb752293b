"""Draft of the command-line layer over :mod:`fieldconv.io` (moves into ``cli.py``).

Subcommands ``paint``, ``poisson``, ``convolve``, ``smooth`` and ``batch``:
argument parsing only; each handler turns the options it was given into the
step's parameters (defaults stay in :mod:`fieldconv.io.steps`) and calls
:func:`fieldconv.io.run_step` or :func:`fieldconv.io.run_batch`.  Register
them on the ``fieldconv`` parser with :func:`add_io_commands`.

Exit status: 0 success, 1 a batch task failed, 2 bad arguments or an
unreadable input (the message names the file and dataset), 130 interrupted.
"""

import argparse
import logging
import sys

__all__ = ["add_io_commands"]

_EXAMPLES = {
    "paint": "example:\n  fieldconv paint snap_010 --shape 256 --scheme tsc --output rho_010.h5",
    "poisson": ("examples:\n  fieldconv poisson snap.hdf5 --shape 256 --scheme cic --output out.h5\n"
                "  fieldconv poisson plummer.hdf5 --shape 128 --bc isolated --box-size 40 --origin -20 "
                "--particles --output iso.h5"),
    "convolve": "example:\n  fieldconv convolve rho_010.h5 --kernel gaussian --kernel-arg sigma='0.5 Mpc' --output s.h5",
    "smooth": "example:\n  fieldconv smooth spectra.csv --window-length 11 --polyorder 3 --deriv 1 --output d.h5",
    "batch": ("example:\n  fieldconv batch runs.toml --jobs 4        (rerun the same command to resume)\n"
              "  fieldconv batch runs.toml --dry-run       (what would run, and why)"),
}


def _value(text):
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


def _pairs(items, name):
    out = {}
    for item in items or ():
        key, sep, val = item.partition("=")
        if not sep or not key:
            raise ValueError(f"{name} must be KEY=VALUE; got {item!r}")
        out[key] = _value(val)
    return out


def _logging(args):
    level = logging.WARNING if args.quiet else (logging.DEBUG if args.verbose else logging.INFO)
    logging.basicConfig(level=level, format="%(message)s", stream=sys.stderr)


def _common(p):
    p.add_argument("--output", "-o", required=True, help="HDF5 file to write (replaced atomically)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--quiet", "-q", action="store_true", help="errors only")
    g.add_argument("--verbose", "-v", action="store_true", help="more detail")


def _snapshot_options(p):
    p.add_argument("snapshot", help="snapshot file, any piece of a multi-file one, or its base name")
    p.add_argument("--shape", required=True, type=int, nargs="+", help="mesh cells: one number or one per axis")
    p.add_argument("--scheme", choices=("ngp", "cic", "tsc", "pcs"), help="assignment window (default cic)")
    p.add_argument("--ptypes", type=int, nargs="+", help="particle types to use (default: all with particles)")
    p.add_argument("--box-size", help="box length, a number (code units) or with units ('100 Mpc')")
    p.add_argument("--origin", help="lower corner of the mesh (isolated boxes)")
    p.add_argument("--units", nargs="+", metavar="KIND=UNIT",
                   help="code units, overriding the file's: length=kpc mass='1e10 solMass' velocity=km/s")
    p.add_argument("--positions", help="generic layout: dataset of the positions")
    p.add_argument("--masses", help="generic layout: dataset of the masses, or one mass")
    p.add_argument("--dtype", choices=("float32", "float64"), help="mesh dtype (default: the positions')")
    p.add_argument("--no-check", action="store_true", help="skip the finite/in-box check of the positions")


def _snapshot_params(args):
    p = {"shape": args.shape[0] if len(args.shape) == 1 else args.shape}
    for key in ("scheme", "ptypes", "dtype", "positions"):
        if getattr(args, key) is not None:
            p[key] = getattr(args, key)
    for key in ("box_size", "origin", "masses"):
        if getattr(args, key) is not None:
            p[key] = _value(getattr(args, key))
    if args.units:
        p["units"] = {k: str(v) for k, v in _pairs(args.units, "--units").items()}
    if args.no_check:
        p["check"] = False
    return p


def _run(step, source, args, params):
    from .io import run_step

    _logging(args)
    info = run_step(step, source, args.output, params, progress=not args.quiet)
    logging.getLogger("fieldconv").info("wrote %s (%s)", info["output"], ", ".join(info.get("fields", [])))
    return 0


def _cmd_paint(args):
    p = _snapshot_params(args)
    if args.mass:
        p["density"] = False
    return _run("paint", args.snapshot, args, p)


def _cmd_poisson(args):
    p = _snapshot_params(args)
    for key in ("bc", "green", "differencing"):
        if getattr(args, key) is not None:
            p[key] = getattr(args, key)
    if args.G is not None:
        p["G"] = _value(args.G)
    if args.particles:
        p["particles"] = True
    return _run("poisson", args.snapshot, args, p)


def _cmd_convolve(args):
    p = {}
    for key in ("dataset", "kernel", "mode", "method", "output_dataset"):
        if getattr(args, key) is not None:
            p[key] = getattr(args, key)
    if args.kernel_arg:
        p["kernel_args"] = _pairs(args.kernel_arg, "--kernel-arg")
    return _run("convolve", args.mesh, args, p)


def _cmd_smooth(args):
    p = {"window_length": args.window_length, "polyorder": args.polyorder}
    if args.deriv:
        p["deriv"] = args.deriv
    if args.mode is not None:
        p["mode"] = args.mode
    return _run("smooth", args.spectra, args, p)


def _cmd_batch(args):
    from .io import BatchInterrupted, run_batch

    _logging(args)
    try:
        summary = run_batch(args.config, jobs=args.jobs, dry_run=args.dry_run,
                            progress=not (args.quiet or args.no_progress), verify=args.verify)
    except BatchInterrupted as exc:
        print(exc.summary.format(verbose=args.verbose), file=sys.stderr)
        return 130
    if not args.quiet or not summary.ok:
        print(summary.format(verbose=args.verbose or args.dry_run))
    return summary.exit_code


def add_io_commands(sub):
    """Register ``paint``, ``poisson``, ``convolve``, ``smooth`` and ``batch`` on a subparsers object."""
    fmt = argparse.RawDescriptionHelpFormatter

    p = sub.add_parser("paint", help="paint a snapshot's particles on a density mesh (HDF5 out)",
                       description="Paint the particles of a Gadget/SWIFT/generic HDF5 snapshot on a mesh, "
                                   "chunk by chunk, and write the density with units, grid and provenance.",
                       epilog=_EXAMPLES["paint"], formatter_class=fmt)
    _snapshot_options(p)
    p.add_argument("--mass", action="store_true", help="mass per cell instead of density")
    _common(p)
    p.set_defaults(func=_cmd_paint)

    p = sub.add_parser("poisson", help="paint + potential + forces (HDF5 out)",
                       description="Paint a snapshot, solve Poisson's equation (lap phi = 4 pi G rho) and write "
                                   "datasets density, potential and forces, each with a units attribute; with "
                                   "--particles also the accelerations at the particles.",
                       epilog=_EXAMPLES["poisson"], formatter_class=fmt)
    _snapshot_options(p)
    p.add_argument("--bc", choices=("periodic", "isolated"), help="boundary (default periodic)")
    p.add_argument("--green", help="Green's function (periodic: continuous, discrete, optimal; "
                                   "isolated: spectral, integrated)")
    p.add_argument("--differencing", choices=("spectral", "fd"), help="force differencing (default spectral)")
    p.add_argument("--G", help="gravitational constant: code units, or with units (default: astropy's G "
                               "in the snapshot's units, 1 without units)")
    p.add_argument("--particles", action="store_true", help="also the accelerations at the particles")
    _common(p)
    p.set_defaults(func=_cmd_poisson)

    p = sub.add_parser("convolve", help="smooth a mesh dataset with a kernel (HDF5 out)",
                       description="Convolve a dataset of a fieldconv mesh file with a smoothing kernel "
                                   "(periodic grids wrap).", epilog=_EXAMPLES["convolve"], formatter_class=fmt)
    p.add_argument("mesh", help="a fieldconv mesh file")
    p.add_argument("--dataset", help="dataset to convolve (default density)")
    p.add_argument("--kernel", choices=("gaussian", "box", "unsharp_mask"), help="default gaussian")
    p.add_argument("--kernel-arg", nargs="+", metavar="KEY=VALUE", help="kernel arguments: sigma=2 (cells) "
                                                                         "or sigma='0.5 Mpc'")
    p.add_argument("--mode", choices=("reflect", "constant", "nearest", "mirror", "wrap"))
    p.add_argument("--method", choices=("auto", "direct", "separable", "fft", "overlap-add"))
    p.add_argument("--output-dataset", help="name of the result (default: the input's)")
    _common(p)
    p.set_defaults(func=_cmd_convolve)

    p = sub.add_parser("smooth", help="Savitzky-Golay smoothing of a spectra file (HDF5 out)",
                       description="Savitzky-Golay-smooth (or differentiate) every spectrum of a file "
                                   "(fieldconv HDF5, CSV, JCAMP-DX).", epilog=_EXAMPLES["smooth"], formatter_class=fmt)
    p.add_argument("spectra", help="spectra file")
    p.add_argument("--window-length", required=True, type=int, help="samples in the window (odd)")
    p.add_argument("--polyorder", required=True, type=int, help="polynomial degree")
    p.add_argument("--deriv", type=int, default=0, help="derivative order (default 0)")
    p.add_argument("--mode", choices=("interp", "mirror", "nearest", "constant", "wrap"))
    _common(p)
    p.set_defaults(func=_cmd_smooth)

    p = sub.add_parser("batch", help="many inputs and steps from a TOML config, resumable",
                       description="Run every step of a batch config on every input it matches. Finished "
                                   "outputs are recorded in a manifest with the hash of their inputs and "
                                   "parameters; rerunning resumes. Exit status 1 if any task failed.",
                       epilog=_EXAMPLES["batch"], formatter_class=fmt)
    p.add_argument("config", help="batch config (TOML)")
    p.add_argument("--jobs", "-j", type=int, help="processes (default: the config's jobs, else 1)")
    p.add_argument("--dry-run", "-n", action="store_true", help="say what would run and why; write nothing")
    p.add_argument("--verify", choices=("stat", "content"), default="stat",
                   help="check finished outputs by size+mtime, hashing changed ones (stat, default) or always "
                        "hash them (content)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--quiet", "-q", action="store_true", help="only failures and the summary of a failed run")
    g.add_argument("--verbose", "-v", action="store_true", help="every task in the summary")
    p.set_defaults(func=_cmd_batch)
