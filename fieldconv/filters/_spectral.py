"""Spectral LES filters on periodic grids: ``filtered = irfftn(H(k) * rfftn(field))``.

The kinds and their transfer functions are tabulated in :mod:`fieldconv.filters`.
"""

import math

import numpy as np

from .._dtypes import np_dtype, result_dtype
from .._spectral_checks import check_not_empty, check_transform_finite
from .._units import attach, strip, strip_like, strip_spacing
from .._validate import as_axes, as_spacing, check_choice
from ..backend import get_backend

__all__ = ["spectral_filter", "filter_transfer_function", "FILTER_KINDS"]

#: The filter kinds, see the module docstring.
FILTER_KINDS = ("sharp", "gaussian", "top-hat", "box")

_EPS = float(np.finfo(np.float64).eps)


def _box_points(width, spacing):
    out = []
    for a, (d, h) in enumerate(zip(width, spacing)):
        n = d / h
        ni = round(n)
        # width/spacing must be an odd integer to rounding of the division (a few ulps)
        if abs(n - ni) > 8 * _EPS * max(n, 1.0) or ni % 2 == 0:
            raise ValueError(
                f'kind="box" needs width / spacing to be an odd integer on every axis; '
                f"got width[{a}] / spacing[{a}] = {n!r} (use kind=\"top-hat\" for any width)"
            )
        out.append(int(ni))
    return out


def _factors(xp, kind, ks, width, spacing, dtype):
    """H as a list of broadcastable factors (per axis for the separable kinds; one array for sharp)."""
    if kind == "sharp":
        q = None
        for k, d in zip(ks, width):
            t = (k * (d / math.pi)) ** 2
            q = t if q is None else q + t
        # modes within rounding of k_c (16 eps relative in k**2) count as on the cut-off and go
        return [xp.astype(q < 1.0 - 16 * _EPS, dtype)]
    out = []
    if kind == "gaussian":
        for k, d in zip(ks, width):
            out.append(xp.exp(-(k**2) * (d * d / 24.0)))  # exp of a sum = product of exps
    elif kind == "top-hat":
        for k, d in zip(ks, width):
            x = k * (d / 2.0)
            nz = x != 0
            safe = xp.where(nz, x, xp.ones_like(x))
            out.append(xp.where(nz, xp.sin(safe) / safe, xp.ones_like(x)))
    else:  # box: Dirichlet kernel
        for k, n, hh in zip(ks, _box_points(width, spacing), spacing):
            x = k * (hh / 2.0)
            den = xp.sin(x)
            nz = den != 0
            safe = xp.where(nz, den, xp.ones_like(den))
            out.append(xp.where(nz, xp.sin(x * n) / (safe * n), xp.ones_like(x)))
    return [xp.astype(f, dtype) for f in out]


def _transfer(xp, kind, ks, width, spacing, dtype):
    """H on the broadcast grid of the per-axis wavenumber arrays `ks` (float64, on device)."""
    fs = _factors(xp, kind, ks, width, spacing, xp.float64)
    h = fs[0]
    for f in fs[1:]:
        h = h * f
    return xp.astype(h, dtype)


def _widths(width, n, sunit):
    return as_spacing(strip_like(width, "width", sunit), n, name="width")


def filter_transfer_function(kind, k, width, *, spacing=None):
    """Transfer function ``H(k)`` of an LES filter of width `width`.

    Parameters
    ----------
    kind : {"sharp", "gaussian", "top-hat", "box"}
        See the module docstring for the formulas.
    k : array_like or tuple of array_like, or Quantity
        Angular wavenumber (rad per length): one array (a list or scalar is
        taken as one array: a 1-D filter), or a tuple of broadcastable
        per-axis arrays as returned by
        :meth:`Backend.kgrid`.  Arrays of any backend; the result lives on
        the same device (so there is no ``backend=``: `k` decides).
    width : float or sequence of float or Quantity
        Filter width ``Delta`` (per axis allowed), same length unit as
        ``1/k`` (a Quantity needs `k` with units too).
    spacing : float or sequence of float or Quantity, optional
        Grid spacing; needed for ``kind="box"`` only.

    Returns
    -------
    array, float64 (float32 if `k` is float32), broadcast shape of `k`

    Raises
    ------
    ValueError
        Unknown kind, non-positive width, ``"box"`` without `spacing` or
        with ``width / spacing`` not an odd integer, width with the wrong
        number of entries.

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.filters import filter_transfer_function
    >>> k = np.array([0.0, 1.0, 2.0, 3.0])
    >>> filter_transfer_function("sharp", k, 1.5)           # k_c = pi / 1.5 = 2.09
    array([1., 1., 1., 0.])
    >>> filter_transfer_function("gaussian", k, np.sqrt(24.0))
    array([1.00000000e+00, 3.67879441e-01, 1.83156389e-02, 1.23409804e-04])
    >>> filter_transfer_function("top-hat", k, np.pi)[[0, 2]]
    array([1., 0.])
    """
    check_choice("kind", kind, FILTER_KINDS)
    ks = k if isinstance(k, tuple) else (k,)
    kunit = None
    stripped = []
    for x in ks:
        x, xu = strip(x, "k")
        if xu is not None:
            kunit = kunit or xu
            x = strip(x * xu, "k", kunit)[0]
        stripped.append(x)
    lunit = None if kunit is None else 1 / kunit
    width = strip_like(width, "width", lunit, ref_name="k")
    spacing = None if spacing is None else strip_like(spacing, "spacing", lunit, ref_name="k")
    ks = [x if hasattr(x, "__array_namespace__") or isinstance(x, np.ndarray) else np.asarray(x, dtype=np.float64)
          for x in stripped]
    be = get_backend(like=ks[0])
    xp = be.xp
    dts = {str(x.dtype) for x in ks}
    out_dt = np.float32 if all("float32" in d for d in dts) else np.float64
    ks64 = [xp.astype(x, be.dtype(np.float64)) for x in ks]
    width = as_spacing(width, len(ks), name="width")
    if kind == "box":
        if spacing is None:
            raise ValueError('kind="box" needs spacing (the grid spacing); got None')
        spacing = as_spacing(spacing, len(ks))
    return _transfer(xp, kind, ks64, width, spacing, be.dtype(out_dt))


def spectral_filter(field, width, *, kind="sharp", spacing=1.0, axes=None, backend=None):
    """Filter a periodic field in Fourier space with an LES filter of width `width`.

    Parameters
    ----------
    field : array, real, any shape, or Quantity
        Periodic along the filtered axes.  dtype per the table (float32
        stays float32; ints and bools are filtered in float64).
    width : float or sequence of float or Quantity
        Filter width ``Delta`` (per filtered axis allowed), in the length
        unit of `spacing`.
    kind : {"sharp", "gaussian", "top-hat", "box"}, optional
        See the module docstring; default ``"sharp"`` (cut-off
        ``k_c = pi / width``).
    spacing : float or sequence of float or Quantity, optional
        Grid spacing along the filtered axes (default 1).
    axes : int or sequence of int, optional
        Axes to filter (default all).
    backend : str or Backend, optional
        Default: the backend of `field`.

    Returns
    -------
    array, shape and dtype of `field` (float per the table), on the backend
        ``irfftn(H(k) * rfftn(field, axes), axes)``; a Quantity input gives a
        Quantity with the same unit.

    Raises
    ------
    ValueError
        `field` empty, holding NaN or inf (the filter is global: one would
        spread to every output of its lines), or overflowing its precision
        in the transform; unknown kind, non-positive width or spacing, bad axes, a width
        Quantity with a plain spacing, ``"box"`` with ``width / spacing``
        not an odd integer.
    TypeError
        Complex or non-numeric `field`.
    HostDeviceCopyError
        `field` on another device than the backend.

    Notes
    -----
    ``H`` is computed in float64 from the backend's wavenumbers and cast
    to the field's precision (one 1-D factor per axis for the separable
    kinds, multiplied in place into the transform); the FFTs are the backend's ``rfftn``/``irfftn``
    (float32 transforms for float32 fields, relative error ~ eps32 log2 N).
    The zero mode is kept (``H(0) = 1``); for the Nyquist mode see the
    module docstring.

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.filters import spectral_filter
    >>> f = np.zeros(8, dtype=np.float32); f[0] = 8
    >>> g = spectral_filter(f, 3.0, kind="box", backend="numpy")  # 3-point average
    >>> g.dtype, g.round(5) + 0.0                                 # + 0.0: no "-0."
    (dtype('float32'), array([2.66667, 2.66667, 0.     , 0.     , 0.     , 0.     , 0.     ,
           2.66667], dtype=float32))
    """
    check_choice("kind", kind, FILTER_KINDS)
    field, funit = strip(field, "field")
    be = get_backend(backend, like=field)
    xp = be.xp
    x = be.asarray(field)
    dt = result_dtype(x.dtype, name="field")
    if x.ndim == 0:
        raise ValueError("field must have at least one dimension; got a scalar")
    check_not_empty(x)
    if np_dtype(x.dtype) != dt:
        x = xp.astype(x, be.dtype(dt))
    axes = as_axes(axes, x.ndim)
    spacing, sunit = strip_spacing(spacing)
    h = as_spacing(spacing, len(axes))
    d = _widths(width, len(axes), sunit)
    shape = tuple(x.shape[a] for a in axes)
    ks = []
    for i, (a, n, hh) in enumerate(zip(axes, shape, h)):
        k = be.k(n, hh, rfft=i == len(axes) - 1)
        ks.append(xp.reshape(k, tuple(-1 if j == a else 1 for j in range(x.ndim))))
    # separable kinds: 1-D factors (float64, cast to the field's precision) applied in place
    # on the transform, one broadcast multiply per axis; no full-grid H is built
    factors = _factors(xp, kind, ks, d, h, be.dtype(dt))
    F = be.rfftn(x, axes=axes)
    check_transform_finite(xp, x, F, axes=axes)  # the zero modes over `axes`: a free check of every line
    for f in factors:
        F *= f
    y = be.irfftn(F, s=shape, axes=axes, overwrite_x=True)
    if y.dtype != x.dtype:
        y = xp.astype(y, x.dtype)
    return attach(y, funit) if funit is not None else y
