"""Run scipy's own scipy.ndimage filter tests against fieldconv through a signature shim.

Usage::

    python validation/ndimage_parity.py [--json FILE] [-k EXPR]

The shim (``validation/ndimage_shim.py``) swaps ``convolve``, ``correlate``,
``convolve1d``, ``correlate1d`` and ``median_filter`` of ``scipy.ndimage``
(and of ``scipy.ndimage._filters``, so scipy's filters built on
``correlate1d`` use fieldconv too) for functions with scipy's signatures
that call fieldconv.  The tests of the installed scipy
(``scipy/ndimage/tests/test_filters.py``) run unchanged in a child pytest
process; a test "reaches the shim" when it calls one of the swapped
functions.  The script prints how many of those pass, and the failures
grouped by category (``KNOWN`` below: differences by design, and errors
raised with fieldconv's own type or message; anything else is
"unclassified"), by error message and by test function.  ``--public-only``
swaps only the public names (the count of scipy's tests that call the five
functions directly: 1,642).  Takes about a minute on two cores.
"""

import argparse
import collections
import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))

#: Failure categories, checked in order: (label, regex on the test function's name, regex on the error).
KNOWN = [
    ("by design: an integer output refuses values it cannot hold (scipy wraps negative results into unsigned "
     "outputs, e.g. sobel/prewitt/laplace into uint8..uint64)", r".", r"cannot hold the result"),
    ("by design: fieldconv accepts what scipy refuses (per-axis modes in median_filter, float16 input)",
     r"test_rank08|test_gaussian_filter_float16", r"DID NOT RAISE RuntimeError"),
    ("error raised, with fieldconv's exception type or message where scipy's test matches scipy's own text or "
     "RuntimeError", r"test_filter_invalid_footprint_ndim|test_filter_invalid_axes|test_filter_tuple_length_mismatch"
     r"|test_correlate_mode_sequence|test_filter_axes|test_filter_axes_kwargs",
     r"^(ValueError|TypeError|AssertionError: Regex pattern did not match|Failed: DID NOT RAISE)"),
]


def classify(nodeid, error):
    name = nodeid.split("::")[-1].split("[")[0]
    for label, name_re, err_re in KNOWN:
        if re.search(name_re, name) and re.search(err_re, error or ""):
            return label
    return "unclassified"


def run(extra_args, scope="all"):
    with tempfile.TemporaryDirectory(prefix="ndimage_parity_") as tmp:
        records = os.path.join(tmp, "records.json")
        env = dict(os.environ, NDIMAGE_SHIM_RECORDS=records, NDIMAGE_SHIM_SCOPE=scope,
                   PYTHONPATH=os.pathsep.join([HERE, os.environ.get("PYTHONPATH", "")]))
        cmd = [sys.executable, "-m", "pytest", "--pyargs", "scipy.ndimage.tests.test_filters", "-p", "ndimage_shim",
               "-q", "-p", "no:cacheprovider", "-o", "addopts=", "--tb=no", "-W", "ignore"] + list(extra_args)
        proc = subprocess.run(cmd, cwd=tmp, env=env, capture_output=True, text=True)
        if not os.path.exists(records):
            sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
            raise SystemExit("the pytest run wrote no records")
        with open(records) as fh:
            return json.load(fh), proc.stdout.strip().splitlines()[-1:]


def summarize(recs):
    reached = {k: v for k, v in recs.items() if v["reached"]}
    outcomes = collections.Counter(v["outcome"] for v in reached.values())
    failures = {k: v for k, v in reached.items() if v["outcome"] == "failed"}
    by_error = collections.Counter()
    for k, v in failures.items():
        msg = re.sub(r"\d+(\.\d+)?(e[-+]?\d+)?", "#", v.get("error", ""))
        by_error[msg[:140]] += 1
    by_test = collections.Counter(k.split("::")[-1].split("[")[0] for k in failures)
    by_class = collections.Counter(classify(k, v.get("error")) for k, v in failures.items())
    return {"total_tests": len(recs), "reached": len(reached), "outcomes": dict(outcomes),
            "failures_by_class": by_class.most_common(), "failures_by_error": by_error.most_common(), "failures_by_test": by_test.most_common(),
            "failed_ids": sorted(failures)}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", help="write the per-test records and the summary to this file")
    ap.add_argument("--public-only", action="store_true",
                    help="swap only the public scipy.ndimage names (scipy's gaussian_filter, sobel, ... then keep "
                         "their own correlate1d)")
    ap.add_argument("pytest_args", nargs="*", help="extra pytest arguments (e.g. -k correlate)")
    args = ap.parse_args(argv)
    recs, tail = run(args.pytest_args, "public" if args.public_only else "all")
    s = summarize(recs)
    o = s["outcomes"]
    print(f"scipy.ndimage test_filters.py: {s['total_tests']} tests, {s['reached']} reach the shim")
    print(f"  of those: passed {o.get('passed', 0)}, failed {o.get('failed', 0)}, skipped {o.get('skipped', 0)}, "
          f"xfailed {o.get('xfailed', 0)}   (pytest: {' '.join(tail)})")
    if s["failures_by_class"]:
        print("failures by category:")
        for label, n in s["failures_by_class"]:
            print(f"  {n:5d}  {label}")
        print("failures by error (numbers replaced by #):")
        for msg, n in s["failures_by_error"]:
            print(f"  {n:5d}  {msg}")
        print("failures by test function:")
        for name, n in s["failures_by_test"]:
            print(f"  {n:5d}  {name}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"summary": s, "records": recs}, fh, indent=1, sort_keys=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
