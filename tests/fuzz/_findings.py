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
OPEN = {}  # every finding F1-F39 is fixed on main (see the notes file); new ones go here


def open_finding(fid):
    """True while finding `fid` is open (generators leave its inputs out of the general fuzz)."""
    return fid in OPEN


def xfail_open(fid):
    """Strict xfail while `fid` is open; no mark once it is closed."""
    return pytest.mark.xfail(fid in OPEN, strict=True, reason=f"fuzz_findings {fid}: {OPEN.get(fid, 'fixed')}")
