"""Repeat the kill/resume tests at full size to look for rare failures.

    python validation/run_kill_resume.py --repeat 5          # 5 x 5 tests, 16 tasks each
    python validation/run_kill_resume.py --repeat 20 --small # the default (CI) size

Runs ``tests/io/test_kill.py`` with ``FIELDCONV_KILL_TEST=full`` (8 snapshots of
20,000 particles, 32^3, two chained steps: 16 tasks, kills unpaced), each
repetition in a fresh pytest process, and prints the pass count and the
output of any failing run.  Exit status 1 if any run failed.
"""

import argparse
import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="pytest runs (default 5)")
    parser.add_argument("--small", action="store_true", help="the default test size instead of the full one")
    args = parser.parse_args(argv)
    env = dict(os.environ)
    if not args.small:
        env["FIELDCONV_KILL_TEST"] = "full"
    failed = 0
    for i in range(args.repeat):
        run = subprocess.run([sys.executable, "-m", "pytest", "tests/io/test_kill.py", "-q", "-p", "no:cacheprovider"],
                             cwd=ROOT, env=env, capture_output=True, text=True)
        last = run.stdout.strip().splitlines()[-1] if run.stdout.strip() else ""
        print(f"run {i + 1}/{args.repeat}: {last}", flush=True)
        if run.returncode != 0:
            failed += 1
            print(run.stdout[-20000:], run.stderr[-5000:], sep="\n", flush=True)
    print(f"{args.repeat - failed} of {args.repeat} runs passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
