"""The contract every fuzz case checks, and the registry of covered public names.

A public function given adversarial input has two acceptable outcomes:

1. a *documented* exception: ``ValueError``, ``TypeError``,
   ``NotImplementedError`` or one of the types of :mod:`fieldconv.errors`,
   whose message names the offending parameter (never ``ZeroDivisionError``,
   ``IndexError``, ``KeyError``, ``AttributeError``, ``OverflowError`` or a
   bare ``Exception``);
2. an answer equal to an independent reference (scipy.ndimage, scipy.signal,
   ``np.add.at``, an exact small-size computation), with the dtype the
   package's table gives.

:func:`outcome` runs a call and classifies it; :func:`expect_error` and
:func:`expect_equal` assert the contract with a reproducer in the message.
:func:`covers` records which public names a test fuzzes; the coverage test
(``test_api_coverage.py``) fails when a public callable has no entry.
"""

import functools
import warnings

import numpy as np

from fieldconv.errors import FieldconvError

#: exception types a public function may raise for bad input
DOCUMENTED = (ValueError, TypeError, NotImplementedError, FieldconvError)

#: public name ("subpackage.name") -> list of test names that fuzz it
COVERAGE = {}


def covers(*names):
    """Decorator: the test fuzzes these public names (``"assign.paint"``...)."""

    def deco(fn):
        for name in names:
            COVERAGE.setdefault(name, []).append(f"{fn.__module__}.{fn.__name__}")
        return fn

    return deco


class Outcome:
    """What a call did: ``raised`` (the exception) or ``value`` (the result), plus warnings."""

    def __init__(self, value=None, raised=None, warned=()):
        self.value, self.raised, self.warned = value, raised, list(warned)

    @property
    def ok(self):
        return self.raised is None

    def __repr__(self):
        if self.raised is not None:
            return f"raised {type(self.raised).__name__}: {self.raised}"
        return f"returned {_short(self.value)}"


def _short(value):
    if isinstance(value, np.ndarray):
        return f"array(shape={value.shape}, dtype={value.dtype}, nan={int(np.isnan(value).sum()) if value.dtype.kind in 'fc' else 0})"
    text = repr(value)
    return text if len(text) < 300 else text[:300] + "..."


def outcome(fn, *args, **kwargs):
    """Run ``fn(*args, **kwargs)``; never lets an exception escape (except KeyboardInterrupt)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            value = fn(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - classified below
            return Outcome(raised=exc, warned=caught)
    return Outcome(value=value, warned=caught)


def is_documented(exc, params):
    """A documented exception type whose message names one of `params`."""
    if not isinstance(exc, DOCUMENTED):
        return False
    if isinstance(exc, UnicodeError):  # a ValueError, but the codec's words, not the parameter's
        return False
    return names_any(str(exc), params)


def names_any(text, params):
    """`text` names one of `params` as a word ("y" is not named by "array")."""
    import re

    return any(re.search(r"(?<![A-Za-z0-9_])" + re.escape(p) + r"(?![A-Za-z0-9_])", text)
               for p in ((params,) if isinstance(params, str) else params))


def _event(text):
    """hypothesis.event when inside a hypothesis test (the statistics show what was exercised)."""
    from hypothesis import event
    from hypothesis.control import _current_build_context

    if _current_build_context.value is not None:
        event(text)


def expect_error(out, params, repro, *, types=DOCUMENTED):
    """The call raised a documented `types` exception naming one of `params`."""
    _event(f"error expected ({params if isinstance(params, str) else '/'.join(params)})")
    assert not out.ok, f"{repro}\n  expected an error naming {params!r}; {out!r}"
    assert isinstance(out.raised, types) and is_documented(out.raised, params), (
        f"{repro}\n  expected {'/'.join(t.__name__ for t in types)} naming {params!r}; {out!r}")


def expect_documented_if_raised(out, params, repro):
    """If the call raised, the exception is documented and names one of `params`."""
    if not out.ok:
        assert is_documented(out.raised, params), f"{repro}\n  undocumented or unnamed error (want one naming {params!r}); {out!r}"


def plain(x):
    """A C-contiguous NumPy copy of `x` (Quantity values, lists, views...)."""
    x = getattr(x, "value", x)
    return np.array(x)


def assert_close(got, ref, atol, repro, *, dtype=None, what="result"):
    """`got` equals `ref` to `atol` where finite, with the same NaN/+inf/-inf pattern, and `dtype`."""
    _event("compared with the reference")
    got_arr = plain(got)
    ref = np.asarray(ref)
    if dtype is not None:
        assert got_arr.dtype == np.dtype(dtype), f"{repro}\n  {what} dtype {got_arr.dtype}, want {np.dtype(dtype)}"
    assert got_arr.shape == ref.shape, f"{repro}\n  {what} shape {got_arr.shape}, want {ref.shape}"
    g = got_arr.astype(np.float64) if got_arr.dtype.kind not in "c" else got_arr.astype(np.complex128)
    r = ref.astype(g.dtype)
    for name, mask in (("NaN", np.isnan), ("+inf", lambda a: np.isposinf(a.real)), ("-inf", lambda a: np.isneginf(a.real))):
        mg, mr = mask(g), mask(r)
        if not np.array_equal(mg, mr):
            bad = np.argwhere(mg != mr)
            raise AssertionError(
                f"{repro}\n  {what}: {name} pattern differs from the reference at {int((mg != mr).sum())} of "
                f"{mg.size} points (first {bad[:3].tolist()}): got {int(mg.sum())} {name}, reference {int(mr.sum())}")
    fin = np.isfinite(g) & np.isfinite(r)
    if fin.any():
        err = np.abs(g[fin] - r[fin])
        worst = float(err.max())
        assert worst <= atol, f"{repro}\n  {what} differs from the reference by {worst:.3g} > atol {atol:.3g}"


def expect_equal(out, ref, atol, repro, *, dtype=None, params=()):
    """The call returned a result equal to `ref` (see :func:`assert_close`)."""
    if not out.ok:
        raise AssertionError(f"{repro}\n  expected a result equal to the reference; {out!r}")
    assert_close(out.value, ref, atol, repro, dtype=dtype)


def repro_call(name, *args, **kwargs):
    """A readable reproducer ``name(arg, ..., key=value)``."""
    parts = [_arg_repr(a) for a in args] + [f"{k}={_arg_repr(v)}" for k, v in kwargs.items()]
    return f"{name}({', '.join(parts)})"


def _arg_repr(a):
    if isinstance(a, np.ndarray) and not hasattr(a, "unit"):
        flags = []
        if not a.flags.c_contiguous:
            flags.append("F" if a.flags.f_contiguous else f"strides={a.strides}")
        if not a.flags.writeable:
            flags.append("read-only")
        if not a.dtype.isnative:
            flags.append("non-native byte order")
        if not a.flags.aligned:
            flags.append("unaligned")
        body = np.array2string(np.array(a), threshold=40, precision=17, separator=", ")
        text = f"np.array({body}, dtype={a.dtype.str!r})"
        return text + (f"  # {', '.join(flags)}" if flags else "")
    if hasattr(a, "unit") and hasattr(a, "value"):
        return f"{_arg_repr(np.asarray(a.value))} * u.Unit({str(a.unit)!r})"
    return repr(a)


def examples(n):
    """`n` examples in the CI profile, scaled up with the active hypothesis profile."""
    from hypothesis import settings

    return max(1, int(n * settings.default.max_examples / 40))


def hsettings(n, **kw):
    """``settings(max_examples=examples(n), ...)`` with the profile's other choices."""
    from hypothesis import settings

    return settings(max_examples=examples(n), **kw)


@functools.lru_cache(maxsize=None)
def eps(dtype):
    return float(np.finfo(np.dtype(dtype)).eps)
