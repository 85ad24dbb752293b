"""Input checks shared by the operators.

Each function checks one rule and raises the standard exception with a
message that names the parameter, the rule and the value received.
"""

import numbers
import operator

import numpy as np

__all__ = [
    "check_choice",
    "check_positive",
    "check_int",
    "as_spacing",
    "as_axes",
]


def check_choice(name, value, choices):
    """Raise ``ValueError`` unless `value` is one of `choices`."""
    if value not in choices:
        opts = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {opts}; got {value!r}")
    return value


def check_int(name, value, *, minimum=None):
    """Return `value` as an int; ``TypeError`` if it is not integral."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be an integer; got {value!r}")
    try:
        ivalue = operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be an integer; got {value!r}") from None
    if minimum is not None and ivalue < minimum:
        raise ValueError(f"{name} must be >= {minimum}; got {ivalue}")
    return ivalue


def check_positive(name, value):
    """Return `value` as a float; ``ValueError`` unless finite and > 0."""
    if not isinstance(value, (numbers.Real, np.floating, np.integer)) or isinstance(value, bool):
        raise TypeError(f"{name} must be a real number; got {value!r}")
    fvalue = float(value)
    if not np.isfinite(fvalue) or fvalue <= 0:
        raise ValueError(f"{name} must be positive and finite; got {value!r}")
    return fvalue


def as_spacing(spacing, ndim, *, name="spacing"):
    """Per-axis grid spacing as a tuple of `ndim` positive floats.

    A scalar applies to every axis; a sequence must have one entry per axis.
    """
    if np.ndim(spacing) == 0:
        return (check_positive(name, spacing),) * ndim
    values = tuple(spacing)
    if len(values) != ndim:
        raise ValueError(
            f"{name} must be a scalar or have one entry per axis ({ndim}); got {len(values)} entries"
        )
    return tuple(check_positive(f"{name}[{i}]", v) for i, v in enumerate(values))


def as_axes(axes, ndim, *, name="axes"):
    """Normalise `axes` (None, int or sequence) to a tuple of distinct non-negative ints."""
    if axes is None:
        return tuple(range(ndim))
    if np.ndim(axes) == 0:
        axes = (axes,)
    out = []
    for a in axes:
        a = check_int(name, a)
        if not -ndim <= a < ndim:
            raise ValueError(f"{name} entries must lie in [-{ndim}, {ndim}); got {a}")
        out.append(a % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"{name} must not repeat an axis; got {tuple(axes)}")
    return tuple(out)
