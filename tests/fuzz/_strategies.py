"""Hypothesis strategies for adversarial inputs of fieldconv's public functions.

Arrays vary in

* dtype: every real dtype of the dtype table, non-native byte order
  (``'>f8'``, ``'>f4'``, ``'>i4'``), and dtypes that must be refused
  (complex, object, str, datetime, long double);
* layout: C and Fortran order, strided (every other element of a larger
  array), negative strides, read-only, zero strides (``np.broadcast_to``),
  unaligned data, nested lists;
* values: small integers (exact arithmetic), normal floats, and specials
  (NaN, +-inf, +-1e300, subnormals, -0.0) at a few positions;
* shape: empty axes, 0-d, length-1 axes, odd and prime lengths.

Positions (mass assignment) are inside the box, exactly on cell faces and on
the box's edges (0, L, the float below L, -0.0), far outside (1e3 L, 1e19,
1e300) or non-finite.

Every strategy draws a seed and builds the array from it, so an example is
cheap to draw and its reproducer is printed by :func:`describe`.
"""

import numpy as np
from hypothesis import note
from hypothesis import strategies as st

from ._findings import open_finding

#: real dtypes: the answer must follow the dtype table
REAL_DTYPES = ("float64", "float32", "float16", "int8", "int16", "int32", "int64", "uint8", "uint64", "bool")
#: non-native byte order: accepted like the native dtype, or refused with a message saying byte order
#: (left out of the general fuzz while F1 is open; tests/fuzz/test_fuzz_dtypes.py covers it)
NONNATIVE_DTYPES = () if open_finding("F1") else (">f8", ">f4", ">i4")
ALL_NONNATIVE = (">f8", ">f4", ">i4")
#: dtypes every real-field operator must refuse with TypeError naming the parameter
BAD_DTYPES = ("complex128", "complex64", "object", "<U3", "datetime64[s]")
LAYOUTS = ("C", "F", "strided", "reversed", "readonly", "broadcast", "unaligned", "list")
SPECIALS = (np.nan, np.inf, -np.inf, 1e300, -1e300, 5e-324, -0.0)


def expected_dtype(dtype):
    """The package's dtype table (float16 -> float32, ints/bools -> float64), for a real dtype."""
    dt = np.dtype(dtype)
    if dt.kind == "f" and dt.itemsize == 4:
        return np.dtype(np.float32)
    if dt.kind == "f" and dt.itemsize == 2:
        return np.dtype(np.float32)
    return np.dtype(np.float64)


def is_real_numeric(dtype):
    dt = np.dtype(dtype)
    return dt.kind in "biuf" and dt.itemsize <= 8


def _values(rng, shape, kind):
    if kind == "ints":
        return rng.integers(-8, 9, size=shape).astype(np.float64)
    if kind == "normal":
        return rng.standard_normal(shape)
    if kind == "wide":  # magnitudes over many decades
        return rng.standard_normal(shape) * 10.0 ** rng.integers(-30, 30, size=shape)
    raise ValueError(kind)


def _cast(values, dtype):
    dt = np.dtype(dtype)
    if dt.kind == "b":
        return values != 0
    if dt.kind in "iu":
        v = np.nan_to_num(values, nan=0.0, posinf=0.0, neginf=0.0)
        v = np.abs(v) if dt.kind == "u" else v
        info = np.iinfo(dt)
        with np.errstate(invalid="ignore"):
            return np.clip(np.round(v), max(info.min, -(2**53)), min(info.max, 2**53)).astype(dt)
    if dt.kind == "O":
        return values.astype(object)
    if dt.kind == "U":
        return values.astype(dt)
    if dt.kind == "M":
        with np.errstate(invalid="ignore"):
            return np.nan_to_num(values).astype(np.int64).astype(dt)
    with np.errstate(over="ignore"):
        return values.astype(dt)


def layout(a, how, rng=None):
    """`a`'s values in the layout `how` (see :data:`LAYOUTS`); 'broadcast' changes the values."""
    a = np.asarray(a)
    if how == "C":
        return np.ascontiguousarray(a)
    if how == "F":
        return np.asfortranarray(a)
    if how == "strided":
        if a.ndim == 0:
            return a
        big = np.zeros(tuple(2 * n + 1 for n in a.shape), dtype=a.dtype)
        view = big[tuple(slice(1, None, 2) for _ in a.shape)]
        view[...] = a
        return view
    if how == "reversed":
        if a.ndim == 0:
            return a
        idx = tuple(slice(None, None, -1) for _ in a.shape)
        return np.ascontiguousarray(a[idx])[idx]
    if how == "readonly":
        b = a.copy()
        b.setflags(write=False)
        return b
    if how == "broadcast":
        if a.ndim == 0 or a.shape[0] == 0:
            return a
        return np.broadcast_to(a[:1], a.shape)
    if how == "unaligned":
        if a.dtype.itemsize == 1 or a.dtype.kind in "OU":
            return a
        buf = np.zeros(a.nbytes + 1, dtype=np.uint8)
        b = np.frombuffer(buf.data, dtype=a.dtype, count=a.size, offset=1).reshape(a.shape)
        b[...] = a
        return b
    if how == "list":
        return a.tolist()
    raise ValueError(how)


def describe(x):
    """One line saying what is unusual about `x` (for hypothesis' falsifying-example notes)."""
    if isinstance(x, list):
        return f"nested list {np.asarray(x).shape}"
    x = np.asarray(x) if not isinstance(x, np.ndarray) else x
    flags = [f"shape={x.shape}", f"dtype={x.dtype.str}"]
    if x.ndim and not x.flags.c_contiguous:
        flags.append("Fortran" if x.flags.f_contiguous else f"strides={x.strides}")
    if not x.flags.writeable:
        flags.append("read-only")
    if not x.flags.aligned:
        flags.append("unaligned")
    if x.dtype.kind == "f":
        with np.errstate(invalid="ignore"):
            flags.append(f"nan={int(np.isnan(x).sum())} inf={int(np.isinf(x).sum())}")
    return " ".join(flags)


def shapes(min_dims=1, max_dims=3, min_side=0, max_side=9):
    """Array shapes, with empty axes, length-1 axes and primes over-represented."""
    side = st.one_of(st.integers(min_side, max_side), st.sampled_from([v for v in (0, 1, 2, 7, 11) if v >= min_side]))
    return st.lists(side, min_size=min_dims, max_size=max_dims).map(tuple)


@st.composite
def arrays(draw, shape=None, *, dtypes=REAL_DTYPES, layouts=LAYOUTS, kinds=("ints", "normal"), specials=0.0):
    """An adversarial array (see the module docstring).

    `specials` is the probability that up to three entries become NaN/inf/huge/subnormal/-0.0.
    Returns ``(array_or_list, dtype_name)``.
    """
    if shape is None:
        shape = draw(shapes())
    elif not isinstance(shape, tuple):
        shape = draw(shape)
    dtype = draw(st.sampled_from(dtypes))
    how = draw(st.sampled_from(layouts))
    kind = draw(st.sampled_from(kinds))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    values = _values(rng, shape, kind)
    if specials and values.size and draw(st.floats(0, 1)) < specials:
        for _ in range(draw(st.integers(1, 3))):
            flat = draw(st.integers(0, values.size - 1))
            values.flat[flat] = draw(st.sampled_from(SPECIALS))
    x = layout(_cast(values, dtype), how)
    if how == "list":  # what the function sees is np.asarray of the list
        dtype = np.asarray(x).dtype.str
    note(f"array: {describe(x)} layout={how} values={kind} seed={seed}")
    return x, dtype


def quantity_units():
    """Units for Quantities given where another dimension (or none) is expected."""
    import astropy.units as u

    return st.sampled_from([u.m, u.kpc, u.s, u.kg, u.K, u.one, u.deg, 1 / u.cm, u.kg / u.m**3, u.Hz, u.nm])


# ------------------------------------------------------------------ positions
POSITION_KINDS = ("inside", "faces", "edges", "far", "huge", "nonfinite")


def edge_values(box, n):
    """Positions exactly on the box's edges and cell faces, and the floats next to them."""
    h = box / n
    vals = [0.0, -0.0, box, np.nextafter(box, 0.0), np.nextafter(0.0, -1.0), np.nextafter(box, np.inf), h, box - h,
            0.5 * h, box - 0.5 * h, float(np.nextafter(np.float32(box), np.float32(0)))]
    return np.array(vals, dtype=np.float64)


@st.composite
def positions(draw, box, shape, *, kinds=POSITION_KINDS, n_max=6, dtypes=("float64", "float32")):
    """Particle positions ``(N, d)`` for a box `box` (per axis) and mesh `shape`.

    Returns ``(positions, kind)``; kind "far", "huge" and "nonfinite" are outside
    any non-periodic mesh.
    """
    d = len(shape)
    kind = draw(st.sampled_from(kinds))
    n = draw(st.integers(1, n_max))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    box = np.broadcast_to(np.asarray(box, float), (d,))
    pos = rng.uniform(0, 1, size=(n, d)) * box
    if kind == "faces":
        cells = rng.integers(0, max(shape) + 1, size=(n, d))
        pos = cells * (box / np.asarray(shape))
    elif kind == "edges":
        for a in range(d):
            ev = edge_values(box[a], shape[a])
            pos[:, a] = ev[rng.integers(0, len(ev), size=n)]
    elif kind == "far":
        which = (rng.integers(0, d, size=n), np.arange(n))
        sign = rng.choice([-1.0, 1.0], size=n)
        pos[which[1], which[0]] = sign * 1e3 * box[which[0]] + pos[which[1], which[0]]
    elif kind == "huge":
        pos[rng.integers(0, n), rng.integers(0, d)] = rng.choice([1e19, -1e19, 1e300, -1e300, 2.0**63])
    elif kind == "nonfinite":
        pos[rng.integers(0, n), rng.integers(0, d)] = rng.choice([np.nan, np.inf, -np.inf])
    dtype = draw(st.sampled_from(dtypes))
    with np.errstate(over="ignore"):
        pos = pos.astype(dtype)
    how = draw(st.sampled_from(("C", "F", "strided", "reversed", "readonly")))
    pos = layout(pos, how)
    note(f"positions: kind={kind} {describe(pos)} layout={how} seed={seed}")
    return pos, kind


def mostly(valid, *bad, weight=6):
    """`valid` about `weight` times as often as each of the `bad` strategies (so most examples reach the answer)."""
    return st.one_of(*([valid] * weight), *bad)
