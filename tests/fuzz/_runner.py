"""Run risky fuzz cases in child processes, so that a crash is a test failure, not a dead run.

A case is a snippet of Python run in a child with ``np``, ``fc`` (fieldconv), ``u``
(astropy.units, imported on first use) and ``refs`` (tests/fuzz/_refs.py) in scope; it
asserts its own comparison with the reference.  One child runs a batch of cases, under
a memory limit (``RLIMIT_AS``) and a wall-clock timeout; it reports each case as it
starts and ends, so a child that dies on a signal (SIGSEGV, SIGABRT, SIGKILL) or hangs
is pinned on the case it was running, which is reported as a crash/hang with its
reproducer and the child's faulthandler traceback; the remaining cases go to a fresh
child.

Outcomes: ``ok`` (ran; its assertions held), ``mismatch`` (an assertion failed),
``raised`` (type, the type's MRO and message), ``crash`` (signal), ``hang`` (timeout),
``died`` (non-zero exit without a signal, e.g. ``os._exit``).
"""

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

#: address-space limit of a child: a case that tries to allocate tens of GB fails with MemoryError
MEMORY_LIMIT = int(os.environ.get("FIELDCONV_FUZZ_MEMORY_LIMIT", str(6 * 2**30)))

_CHILD = r"""
import faulthandler, json, resource, sys, traceback
faulthandler.enable(file=sys.stderr, all_threads=False)
limit = int(sys.argv[1])
if limit > 0:
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
import numpy as np
import fieldconv as fc
from tests.fuzz import _refs as refs

class _LazyUnits:
    def __getattr__(self, name):
        import astropy.units
        return getattr(astropy.units, name)

cases = json.loads(sys.stdin.read())
for case in cases:
    sys.stdout.write(json.dumps({"id": case["id"], "event": "start"}) + "\n"); sys.stdout.flush()
    sys.stderr.write("--- case " + case["id"] + "\n"); sys.stderr.flush()
    ns = {"np": np, "fc": fc, "refs": refs, "u": _LazyUnits(), "nan": np.nan, "inf": np.inf}
    try:
        with np.errstate(all="ignore"):
            exec(compile(case["code"], case["id"], "exec"), ns)
        res = {"status": "ok"}
    except AssertionError as exc:
        res = {"status": "mismatch", "message": str(exc)[:2000]}
    except BaseException as exc:
        res = {"status": "raised", "type": type(exc).__name__, "mro": [c.__name__ for c in type(exc).__mro__],
               "message": str(exc)[:2000], "where": traceback.format_exc(limit=-3)[-1500:]}
    res.update(id=case["id"], event="end")
    sys.stdout.write(json.dumps(res) + "\n"); sys.stdout.flush()
"""


@dataclass
class Case:
    """A snippet, what it may raise, and what it must do."""

    id: str
    code: str
    #: names one of which an error message must contain
    params: tuple = ()
    #: "equal" (must run and pass its own checks), "error" (must raise a documented error naming params),
    #: "either" (one of the two)
    expect: str = "either"
    #: further exception type names this function documents (e.g. "FileNotFoundError")
    documented: tuple = ()


@dataclass
class Result:
    case: Case
    status: str
    message: str = ""
    type: str = ""
    mro: list = field(default_factory=list)
    where: str = ""

    def reproducer(self):
        return f"case {self.case.id}:\n{self.case.code}"


_DOCUMENTED = {"ValueError", "TypeError", "NotImplementedError", "FieldconvError"}


def verdict(res):
    """None if `res` honours the contract of its case, else the reason it does not."""
    case = res.case
    if res.status in ("crash", "hang", "died"):
        return f"{res.status.upper()}: {res.message}\n{res.reproducer()}"
    if res.status == "mismatch":
        return f"wrong answer: {res.message}\n{res.reproducer()}"
    if res.status == "ok":
        return None if case.expect in ("equal", "either") else f"expected an error naming {case.params}\n{res.reproducer()}"
    # raised
    documented = bool((_DOCUMENTED | set(case.documented)) & set(res.mro)) and "UnicodeError" not in res.mro
    from ._contract import names_any

    named = names_any(res.message, case.params)
    if case.expect == "equal":
        return f"expected the reference answer; raised {res.type}: {res.message}\n{res.where}\n{res.reproducer()}"
    if not documented or not named:
        return (f"undocumented error or one not naming {case.params}: {res.type}: {res.message}\n{res.where}\n"
                f"{res.reproducer()}")
    return None


def _spawn(cases, timeout, memory_limit=None):
    env = dict(os.environ)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    env.setdefault("FIELDCONV_FFTW_PLANNER", "FFTW_ESTIMATE")
    env.setdefault("FIELDCONV_NUM_THREADS", "2")
    payload = json.dumps([{"id": c.id, "code": c.code} for c in cases])
    try:
        limit = MEMORY_LIMIT if memory_limit is None else memory_limit
        p = subprocess.run([sys.executable, "-c", _CHILD, str(limit)], input=payload, capture_output=True,
                           text=True, timeout=timeout, cwd=ROOT, env=env)
        return p.stdout, p.stderr, p.returncode, False
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        err = exc.stderr.decode() if isinstance(exc.stderr, bytes) else (exc.stderr or "")
        return out, err, None, True


def _stderr_of(err, case_id):
    marker = f"--- case {case_id}\n"
    return err.split(marker, 1)[-1][-3000:] if marker in err else err[-3000:]


def _crashes(cases, timeout):
    out, err, rc, timed_out = _spawn(cases, timeout)
    return rc is not None and rc < 0


def _blame(prefix, case, timeout, probes=6):
    """A crash that does not happen when `case` runs alone: find the earlier case that corrupted memory.

    Bisects the cases run before it in the same child (at most `probes` children).
    """
    if _crashes([case], timeout):
        return ""
    lo, hi = 0, len(prefix)  # prefix[:hi] + case crashes (it did); find the smallest such hi
    for _ in range(probes):
        if hi - lo <= 1:
            break
        mid = (lo + hi) // 2
        if _crashes(prefix[:mid] + [case], timeout):
            hi = mid
        else:
            lo = mid
    culprit = prefix[hi - 1] if hi else None
    if culprit is None:
        return "\n(the crash does not reproduce alone; no earlier case found)"
    return (f"\n(the crash does not happen when this case runs alone: an earlier case corrupted memory; "
            f"bisection points at case {culprit.id}:\n{culprit.code})")


def run_cases(cases, *, timeout=120.0, blame=True, memory_limit=None):
    """Run `cases` in as few children as possible; returns {id: Result} for every case.

    A crash is pinned on the case that was running; with `blame`, a crash that does not
    reproduce with that case alone is bisected over the cases the same child ran before it.
    """
    results = {}
    todo = list(cases)
    by_id = {c.id: c for c in cases}
    while todo:
        out, err, rc, timed_out = _spawn(todo, timeout, memory_limit)
        ran = []
        started = None
        for line in out.splitlines():
            try:
                msg = json.loads(line)
            except ValueError:
                continue
            if msg.get("event") == "start":
                started = msg["id"]
                ran.append(by_id[started])
            elif msg.get("event") == "end":
                started = None
                results[msg["id"]] = Result(by_id[msg["id"]], msg["status"], msg.get("message", ""), msg.get("type", ""),
                                            msg.get("mro", []), msg.get("where", ""))
        if started is not None:  # the child died or hung inside this case
            if timed_out:
                status, what = "hang", f"no answer within {timeout:.0f} s"
            elif rc is not None and rc < 0:
                status, what = "crash", f"killed by signal {-rc}"
            else:
                status, what = "died", f"exit status {rc}"
            note = _blame(ran[:-1], by_id[started], timeout) if blame and status == "crash" and len(ran) > 1 else ""
            results[started] = Result(by_id[started], status,
                                      f"{what}; child stderr:\n{_stderr_of(err, started)}{note}")
        elif timed_out or rc not in (0, None):
            # died outside a case (import, limits): blame every remaining case once
            for c in todo:
                if c.id not in results:
                    results[c.id] = Result(c, "died", f"child exit {rc} before the case ran:\n{err[-3000:]}")
        todo = [c for c in todo if c.id not in results]
    return results


def failures(results):
    """The reasons of every case that broke its contract, as one report (empty if none)."""
    bad = [v for v in (verdict(r) for r in results.values()) if v]
    return "\n\n".join(bad)
