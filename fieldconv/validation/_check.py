"""Checks with verdicts: one measured value, its tolerance, where the tolerance comes from.

Every family of ``fieldconv validate`` turns its measurements into
:class:`Check` rows (value, tolerance, relation, basis, verdict) and
:class:`Series` (the data behind its figure).  Two helpers build the common
rows: :func:`error_check` (an error against a bound) and :func:`order_check`
(an observed convergence order, fitted only where the error is above its
round-off floor).

Examples
--------
>>> from fieldconv.validation import Check, fit_order
>>> c = Check("demo", "x", "rel. error", 1e-12, 1e-10, "<=", "round-off")
>>> c.verdict
'PASS'
>>> fit_order([16, 32, 64], [1e-2, 2.5e-3, 6.25e-4])
2.0
"""

import math
from dataclasses import dataclass, field

import numpy as np

__all__ = ["Check", "Series", "FamilyResult", "fit_order", "above_roundoff", "error_check", "order_check", "EPS",
           "ROUNDOFF_MARGIN"]

#: Unit round-off (machine epsilon) by dtype name.
EPS = {"float64": float(np.finfo(np.float64).eps), "float32": float(np.finfo(np.float32).eps)}

#: An error counts for an order fit only when it is this many times above its round-off floor
#: (then round-off shifts the fitted slope by less than 1/(margin ln 2) ~ 0.015).
ROUNDOFF_MARGIN = 100.0


@dataclass(frozen=True)
class Check:
    """One row of the validation table.

    Parameters
    ----------
    family : str
        Family name (``"stencil"``, ``"poisson"``...).
    case : str
        What was run (operator, options, test function).
    quantity : str
        What was measured (``"rel. max error, N=128"``, ``"order, N=32-128"``).
    value : float
        The measured value (NaN when it could not be measured).
    limit : float
        The tolerance.
    relation : {"<=", ">="}
        ``value <= limit`` (errors) or ``value >= limit`` (orders).
    basis : str
        Where the tolerance comes from, in a few words.
    note : str, optional
        Shown instead of a NaN value (e.g. ``"round-off"``).
    passed_override : bool, optional
        Verdict when `value` is NaN by design (an order at round-off).

    Examples
    --------
    >>> Check("demo", "x", "order", 1.9, 1.95, ">=", "theory").verdict
    'FAIL'
    """

    family: str
    case: str
    quantity: str
    value: float
    limit: float
    relation: str
    basis: str
    note: str = ""
    passed_override: object = None

    def __post_init__(self):
        if self.relation not in ("<=", ">="):
            raise ValueError(f"relation must be '<=' or '>='; got {self.relation!r}")

    @property
    def passed(self):
        """True when the value satisfies the tolerance."""
        v = float(self.value)
        if not math.isfinite(v):
            return bool(self.passed_override)
        return v <= self.limit if self.relation == "<=" else v >= self.limit

    @property
    def verdict(self):
        """``"PASS"`` or ``"FAIL"``."""
        return "PASS" if self.passed else "FAIL"

    def as_dict(self):
        """The row as a plain dict (for JSON)."""
        return {"family": self.family, "case": self.case, "quantity": self.quantity, "value": _finite_or_none(self.value),
                "tolerance": f"{self.relation} {self.limit:.3g}", "limit": self.limit, "relation": self.relation,
                "basis": self.basis, "note": self.note, "verdict": self.verdict}


def _finite_or_none(v):
    v = float(v)
    return v if math.isfinite(v) else None


@dataclass
class Series:
    """Data for one curve of a family's figure.

    Attributes
    ----------
    label : str
    x, y : list of float
        Abscissa (grid sizes N, or ``k h``) and measured values.
    panel : str
        Which panel of the family figure the curve belongs to.
    order : float, optional
        Theoretical convergence order: a reference slope ``N^-order`` is drawn.
    floor : list of float, optional
        Round-off floor at each x (drawn dotted).
    reference : tuple of (list, list), optional
        An analytic curve (x, y) drawn as a line (transfer functions, bounds).
    group : str, optional
        Series of one group share a colour (default: the label).
    style : str, optional
        matplotlib format string (default ``"o-"``).

    Examples
    --------
    >>> from fieldconv.validation import Series
    >>> Series("laplacian o2", [16, 32], [4e-3, 1e-3], order=2).order
    2
    """

    label: str
    x: list
    y: list
    panel: str = ""
    order: object = None
    floor: object = None
    reference: object = None
    group: str = ""
    style: str = "o-"


@dataclass
class FamilyResult:
    """What a family's run returns: its checks, the series of its figure, its wall time.

    ``details`` is optional text (a detailed table) written beside the report
    as ``<family>_details.txt``.

    Examples
    --------
    >>> from fieldconv.validation import FamilyResult
    >>> FamilyResult(sizes=(16, 32)).checks
    []
    """

    checks: list = field(default_factory=list)
    series: list = field(default_factory=list)
    seconds: float = 0.0
    sizes: tuple = ()
    details: str = ""


def fit_order(sizes, errors):
    """Least-squares slope ``p`` of ``log(error) = c - p log(N)``.

    Parameters
    ----------
    sizes, errors : sequences of positive float, same length >= 2

    Returns
    -------
    float
        The observed order, rounded to 4 digits.

    Raises
    ------
    ValueError
        Fewer than two points, or a non-positive size or error.

    Examples
    --------
    >>> fit_order([32, 64, 128], [4e-3, 1e-3, 2.5e-4])
    2.0
    """
    n = np.asarray(sizes, dtype=np.float64)
    e = np.asarray(errors, dtype=np.float64)
    if n.size != e.size or n.size < 2:
        raise ValueError(f"fit_order needs two or more (size, error) pairs; got {n.size} sizes and {e.size} errors")
    if np.any(n <= 0) or np.any(~(e > 0)):
        raise ValueError(f"sizes and errors must be positive; got sizes {n.tolist()}, errors {e.tolist()}")
    slope = np.polyfit(np.log(n), np.log(e), 1)[0]
    return round(float(-slope), 4)


def above_roundoff(sizes, errors, floors):
    """The sizes whose error is finite and above ``ROUNDOFF_MARGIN`` times its round-off floor.

    Examples
    --------
    >>> above_roundoff([16, 32, 64], [1e-4, 2.5e-5, 1e-15], [1e-16] * 3)
    [16, 32]
    """
    return [n for n, e, f in zip(sizes, errors, floors) if math.isfinite(e) and e > ROUNDOFF_MARGIN * f]


def error_check(family, case, quantity, value, limit, basis):
    """A ``value <= limit`` row.

    Examples
    --------
    >>> error_check("demo", "x", "rel. error", 3e-16, 1e-14, "round-off").passed
    True
    """
    return Check(family, case, quantity, float(value), float(limit), "<=", basis)


def order_check(family, case, sizes, errors, floors, expected, limit, basis, *, what=""):
    """An observed-order row, fitted only over the sizes whose error is above round-off.

    Parameters
    ----------
    family, case : str
    sizes, errors : sequences of float
        Grid sizes and the errors measured there.
    floors : sequence of float
        Round-off floor of each error; a point counts when
        ``error > ROUNDOFF_MARGIN * floor``.
    expected : float
        The theoretical order (shown in the quantity).
    limit : float
        The observed order must be at least this.
    basis : str
    what : str, optional
        Prefix of the quantity (``"phi "``: ``"phi order (expect 2), ..."``).

    Returns
    -------
    Check
        When fewer than two sizes are above round-off there is no order to
        measure: the value is NaN, shown as ``"round-off"``, and the check
        passes when every error is within ``ROUNDOFF_MARGIN`` times its floor
        (the method is already exact to round-off).

    Examples
    --------
    >>> c = order_check("demo", "x", [16, 32, 64], [1e-4, 2.5e-5, 1e-15], [1e-16] * 3, 2, 1.9, "theory")
    >>> c.quantity, c.value
    ('order (expect 2), N=16-32', 2.0)
    """
    ns = above_roundoff(sizes, errors, floors)
    if len(ns) < 2:
        at_floor = all(math.isfinite(e) and e <= ROUNDOFF_MARGIN * f for e, f in zip(errors, floors))
        return Check(family, case, f"{what}order (expect {expected:g})", float("nan"), limit, ">=", basis,
                     note="round-off", passed_override=at_floor)
    p = fit_order(ns, [e for n, e in zip(sizes, errors) if n in ns])
    span = f"N={ns[0]:g}-{ns[-1]:g}"
    return Check(family, case, f"{what}order (expect {expected:g}), {span}", p, limit, ">=", basis)
