"""Open fuzz findings (/work/notes/fuzz_findings.md): the one switch per finding.

A finding's reproducer is a test marked ``xfail_open("F<n>")``: a strict xfail
while the finding is listed in :data:`OPEN`, so the suite stays green and the
test fails loudly (XPASS strict) the moment the owner's fix is merged.  Then
the lead deletes the entry here: the mark goes away and the generators that
steered around the finding (``open_finding("F<n>")``) include its inputs
again.
"""

import pytest

#: finding id -> one line (family: what)
OPEN = {
    "F6": "assign: paint_chunks of a complex/str/datetime source says 'dtype must be real', naming the wrong parameter",
    "F7": "assign: non-periodic paint of a particle far outside along axis 1/2 segfaults or counts its mass twice",
    "F8": "assign: periodic wrap of |x/h| >= 2**53 loses the half-cell shift (CIC/TSC/PCS half a cell off)",
    "F9": "assign: readout/readout_gradient of a mesh with an empty axis raise ZeroDivisionError",
    "F10": "assign: compensate accepts real/int/object field_k (garbage out); a list raises AttributeError",
    "F11": "assign: a subnormal box_size (1e-320) makes every grid coordinate inf: silently cell 0 / 0.0",
    "F12": "assign: readout/readout_gradient(periodic='no') is taken as periodic",
    "F13": "assign: paint_chunks(weights=<scalar>) raises a bare TypeError/IndexError ('int' object is not subscriptable)",
    "F14": "assign: origin='no' / None gives numpy's 'could not convert string to float' / float() TypeError, no 'origin'",
    "F34": "validation: run_validation(sizes=(8.5,)) runs N=8, sizes='8' is iterated; format_table/observed_orders raise KeyError",
    "F35": "backend: set_cache_limit/clear_plan_cache take 2.5 silently, 'x'/nan give int()'s words without the parameter",
    "F36": "backend: first FFTW_MEASURE call on a prime-sized grid takes minutes (120 s for (4099,), 39 s for (211, 223))",
    "F38": "backend: load_wisdom of a wisdom file with one damaged entry aborts the interpreter (FFTW assertion, SIGABRT)",
}


def open_finding(fid):
    """True while finding `fid` is open (generators leave its inputs out of the general fuzz)."""
    return fid in OPEN


def xfail_open(fid):
    """Strict xfail while `fid` is open; no mark once it is closed."""
    return pytest.mark.xfail(fid in OPEN, strict=True, reason=f"fuzz_findings {fid}: {OPEN.get(fid, 'fixed')}")
