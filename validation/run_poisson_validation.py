"""The Poisson study on its own: the detailed table of every problem, method and size, and its figure.

    python validation/run_poisson_validation.py [--output DIR] [--sizes 32 64 128] [--problems NAME ...]

Writes ``poisson_validation.txt`` (relative L2 and max errors of the potential
and the force, observed orders between consecutive sizes where both errors are
above their round-off floor) and ``poisson_convergence.png`` to DIR (default
``validation/results``).  The verdicts (tolerances, PASS/FAIL) are those of
``fieldconv validate --families poisson``.
"""

import argparse
import os
import sys
from pathlib import Path

from fieldconv._atomic import atomic_path
from fieldconv.validation import FULL_SIZES, PROBLEMS, format_table, plot_convergence, run_validation


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--output", default=str(Path(__file__).resolve().parent / "results"))
    ap.add_argument("--sizes", type=int, nargs="+", default=list(FULL_SIZES))
    ap.add_argument("--problems", nargs="+", choices=sorted(PROBLEMS), default=None, metavar="NAME",
                    help="subset of " + ", ".join(sorted(PROBLEMS)))
    ap.add_argument("--backend", default=None)
    args = ap.parse_args(argv)
    os.makedirs(args.output, exist_ok=True)
    rows = run_validation(args.sizes, problems=args.problems, backend=args.backend, progress=True)
    table = format_table(rows)
    print(table)
    path = os.path.join(args.output, "poisson_validation.txt")
    with atomic_path(path) as tmp, open(tmp, "w") as fh:
        fh.write(table + "\n")
    png = plot_convergence(rows, os.path.join(args.output, "poisson_convergence.png"))
    print(f"wrote {path} and {png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
