"""Input checks shared by the operators.

Each function checks one rule and raises the standard exception with a
message that names the parameter, the rule and the value received.
"""

import math
import numbers
import operator

import numpy as np

__all__ = [
    "check_choice",
    "check_positive",
    "check_int",
    "check_real",
    "as_generator",
    "check_order",
    "check_monotonic",
    "as_spacing",
    "as_axes",
    "as_origin",
    "check_mode",
    "one_axis",
    "NDIMAGE_MODES",
]

#: Boundary modes with scipy.ndimage's names and meanings (convolution, median, 2-D Savitzky-Golay).
NDIMAGE_MODES = ("reflect", "mirror", "nearest", "constant", "wrap")
_MODE_ALIASES = {"grid-wrap": "wrap", "grid-constant": "constant", "grid-mirror": "reflect"}


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


def check_real(name, value, *, minimum=None, maximum=None, strict_min=False, strict_max=False):
    """`value` as a finite float within the given bounds."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, np.floating, np.integer)):
        raise TypeError(f"{name} must be a real number; got {value!r}")
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"{name} must be finite; got {value!r}")
    if minimum is not None and (v < minimum or (strict_min and v == minimum)):
        op = ">" if strict_min else ">="
        raise ValueError(f"{name} must be {op} {minimum}; got {value!r}")
    if maximum is not None and (v > maximum or (strict_max and v == maximum)):
        op = "<" if strict_max else "<="
        raise ValueError(f"{name} must be {op} {maximum}; got {value!r}")
    return v


def as_generator(random_state, name="random_state"):
    """A ``numpy.random.Generator`` from None, an int seed or a Generator."""
    if isinstance(random_state, np.random.Generator):
        return random_state
    if random_state is None or (isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool)):
        if random_state is not None and random_state < 0:
            raise ValueError(f"{name} must be a non-negative integer seed, a Generator or None; got {random_state}")
        return np.random.default_rng(random_state)
    raise TypeError(f"{name} must be None, an int seed or a numpy Generator; got {type(random_state).__name__}")


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


def check_order(order, orders=(2, 4, 6), *, name="order"):
    """Return `order` as an int; ``ValueError`` unless it is one of `orders`."""
    if isinstance(order, (bool, np.bool_)) or order not in orders:
        opts = ", ".join(str(o) for o in orders)
        raise ValueError(f"{name} must be one of {opts}; got {order!r}")
    return int(order)


def check_monotonic(values, name, *, min_points=2):
    """`values` as a float64 1-D array, strictly increasing or strictly decreasing.

    Raises ``ValueError`` for fewer than `min_points` points, non-finite
    values, or a turn or repeat (naming the index and the two values), and
    ``TypeError`` for complex or non-numeric values.
    """
    v = np.asarray(values)
    if v.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be real numbers; got dtype {v.dtype}")
    v = v.astype(np.float64, copy=False)
    if v.ndim != 1 or v.shape[0] < min_points:
        raise ValueError(f"{name} must be 1-D with at least {min_points} points; got shape {v.shape}")
    if not np.all(np.isfinite(v)):
        raise ValueError(f"{name} must be finite; got {int(np.sum(~np.isfinite(v)))} non-finite values")
    d = np.diff(v)
    if d.size and not (np.all(d > 0) or np.all(d < 0)):
        k = int(np.argmax(d <= 0)) if d[0] > 0 else int(np.argmax(d >= 0))
        raise ValueError(
            f"{name} must be strictly monotonic (increasing or decreasing); it turns or repeats at index "
            f"{k + 1} ({v[k]!r} -> {v[k + 1]!r})"
        )
    return v


def as_origin(origin, shape, *, offsets=False, default=None, name="origin"):
    """The tap index, per kernel axis, that lands on the output point.

    Parameters
    ----------
    origin : None, "center", int or sequence of int
        None: `default` (a tuple of tap indices) or ``n // 2`` per axis.
        "center" (or "centre"): ``n // 2``, for odd sizes only.  An int
        applies to every axis.
    shape : tuple of int
        The kernel's shape.
    offsets : bool
        False: `origin` holds tap indices, ``0 <= o < n``.  True: it holds
        scipy.ndimage offsets from the centre tap ``n // 2``, ``-(n // 2) <=
        o <= (n - 1) // 2``.

    Returns
    -------
    tuple of int
        Tap indices ``0 <= c < n``.
    """
    ndim = len(shape)
    if origin is None:
        return tuple(int(o) for o in default) if default is not None else tuple(n // 2 for n in shape)
    if isinstance(origin, str):
        if origin not in ("center", "centre"):
            raise ValueError(f"{name} must be None, 'center', an int or a sequence of ints; got {origin!r}")
        if any(n % 2 == 0 for n in shape):
            raise ValueError(
                f"{name}='center' needs an odd size on every kernel axis (an even axis has no centre tap); "
                f"got kernel shape {tuple(shape)}: pass an integer {name}"
            )
        return tuple(n // 2 for n in shape)
    values = (origin,) * ndim if np.ndim(origin) == 0 else tuple(origin)
    if len(values) != ndim:
        raise ValueError(f"{name} must be an int or have one entry per kernel axis ({ndim}); got {origin!r}")
    taps = []
    for a, (o, n) in enumerate(zip(values, shape)):
        o = check_int(name, o)
        c = n // 2 + o if offsets else o
        if not 0 <= c < n:
            lo, hi = (-(n // 2), (n - 1) // 2) if offsets else (0, n - 1)
            what = "scipy.ndimage offsets from the centre tap" if offsets else "tap indices"
            label = name if ndim == 1 else f"{name}[{a}]"
            raise ValueError(f"{label} must lie in [{lo}, {hi}] ({what} of a kernel of size {n}); got {o}")
        taps.append(c)
    return tuple(taps)


def check_mode(mode, name="mode", modes=NDIMAGE_MODES):
    """A boundary mode of `modes` (scipy.ndimage's ``grid-*`` aliases accepted); ``ValueError`` otherwise."""
    if isinstance(mode, str):
        mode = _MODE_ALIASES.get(mode, mode)
    if not isinstance(mode, str) or mode not in modes:
        opts = ", ".join(repr(m) for m in modes)
        raise ValueError(f"{name} must be one of {opts}; got {mode!r}")
    return mode


def one_axis(data, axis, name):
    """`axis` of `data` (an array with ``ndim``) normalised; ``ValueError`` for a 0-d `data`."""
    if data.ndim == 0:
        raise ValueError(f"{name} must have at least one dimension; got a 0-d array")
    return as_axes(axis, data.ndim, name="axis")[0]
