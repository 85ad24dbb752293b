"""Full Poisson validation study (N = 32, 64, 128): table + convergence PNG.

    /work/venv/bin/python validation/run_poisson_validation.py [--output DIR] [--sizes 32 64 128]

Equivalent to ``fieldconv validate --output DIR``; kept here so that the study
can be run from a checkout without installing the console script.  Writes
``poisson_validation.txt`` and ``poisson_convergence.png`` to DIR
(default ``validation/results``).
"""

import sys
from pathlib import Path

from fieldconv.cli import main

if __name__ == "__main__":
    args = sys.argv[1:]
    if "--output" not in args:
        args += ["--output", str(Path(__file__).resolve().parent / "results")]
    sys.exit(main(["validate", *args]))
