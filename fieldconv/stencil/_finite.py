"""Finite-difference Laplacian and gradient on cell-centred grids with periodic, Dirichlet or Neumann faces.

Weights come from :mod:`fieldconv._fdcoeffs` (shared with
:func:`fieldconv.kernels.laplacian`).  Host backends run the compiled
kernels of :mod:`._compiled` (inside ``backend.kernel_threads``); other
backends take ghost layers with ``take`` and sum shifted slices.
"""

import numpy as np

from .._dtypes import result_dtype
from .._fdcoeffs import central_difference, laplacian_weights
from .._output import check_out
from .._units import attach_all, product, strip, strip_spacing
from .._validate import as_spacing, check_choice, check_int, check_order
from ..backend import get_backend

__all__ = ["laplacian", "gradient", "laplacian_taps", "BCS"]

#: Boundary conditions on the cell faces.
BCS = ("periodic", "dirichlet", "neumann")


def laplacian_taps(ndim, spacing, order, points):
    """List of (offset tuple, weight) of the Laplacian, sorted by offset, and the radius per axis."""
    w, _ = laplacian_weights(ndim, spacing, order, points)
    r = w.shape[0] // 2
    taps = [(tuple(int(i) - r for i in idx), float(w[idx])) for idx in np.ndindex(w.shape) if w[idx] != 0]
    return taps, (r,) * ndim


def _gradient_taps(ndim, spacing, order, axis):
    order = check_order(order)
    w = central_difference(1, order) / spacing[axis]
    r = order // 2
    taps = [(tuple(m if b == axis else 0 for b in range(ndim)), float(w[m + r])) for m in range(-r, r + 1) if m != 0]
    return taps, tuple(r if b == axis else 0 for b in range(ndim))


def _units(field, spacing, power):
    """Plain field and spacing, and the result's unit ``field.unit / spacing.unit**power``."""
    field, fu = strip(field, "field")
    spacing, lu = strip_spacing(spacing)
    return field, spacing, product(fu, (lu, -power))


def _prepare(field, spacing, bc, backend, name="field"):
    be = get_backend(backend, like=field)
    field = be.asarray(field)
    if field.ndim < 1 or field.ndim > 3:
        raise ValueError(f"{name} must be 1-, 2- or 3-dimensional; got ndim={field.ndim}")
    if any(n == 0 for n in field.shape):
        raise ValueError(f"{name} must not be empty; got shape {tuple(field.shape)}")
    check_choice("bc", bc, BCS)
    spacing = as_spacing(spacing, field.ndim)
    dt = result_dtype(field.dtype, name=name)
    return be, field, spacing, dt


def _check_radius(shape, radius, bc):
    if bc == "periodic":
        return
    for a, (n, r) in enumerate(zip(shape, radius)):
        if r > n:
            raise ValueError(
                f"field must have at least {r} samples along axis {a} for this stencil with bc={bc!r}; got {n}"
            )


def _star_weights(spacing, order):
    """Per-axis weights (w0, w1, w2, centre) of the 3-D star Laplacian for the one-pass kernel."""
    r = order // 2
    ws, c = [], 0.0
    for h in spacing:
        w = central_difference(2, order) / h**2
        ws.append(np.ascontiguousarray(w[r:], dtype=np.float64))
        c += float(w[r])
    return (ws[0], ws[1], ws[2], c)


def _apply(be, field, taps, radius, bc, dt, out, star=None):
    _check_radius(field.shape, radius, bc)
    shape = tuple(field.shape)
    if be.on_host:
        f = np.ascontiguousarray(field, dtype=dt)  # no copy for contiguous float32/float64 input
        out = check_out(be, out, shape, dt, contiguous=True, distinct_from=f)
        if out is None:
            out = be.empty(shape, dt)
        pad = (1,) * (3 - f.ndim)
        taps3 = [((0,) * (3 - f.ndim) + tuple(o), w) for o, w in taps]
        from . import _compiled

        with be.kernel_threads(f.size * len(taps)):
            if star is not None and f.ndim == 3 and shape[2] >= 2 * radius[2]:
                _compiled.apply_star3d(f, out, star, bc)
            else:
                _compiled.apply_taps(f.reshape(pad + shape), out.reshape(pad + shape), taps3, bc)
        return out
    check_out(be, out, shape, dt)
    res = _apply_xp(be, field, taps, radius, bc, dt)
    if out is not None:
        out[...] = res
        return out
    return res


def _apply_xp(be, field, taps, radius, bc, dt):
    """Generic array-API path: ghost layers via take, weighted sum of shifted slices."""
    xp = be.xp
    f = field if field.dtype == be.dtype(dt) else xp.astype(field, be.dtype(dt))
    ndim = f.ndim
    for a, r in enumerate(radius):
        if r == 0:
            continue
        n = f.shape[a]
        i = np.arange(-r, n + r)
        if bc == "periodic":
            idx, sign = i % n, None
        else:
            idx = np.where(i < 0, -1 - i, np.where(i >= n, 2 * n - 1 - i, i))
            sign = np.where((i >= 0) & (i < n), 1.0, -1.0 if bc == "dirichlet" else 1.0)
        f = xp.take(f, be.asarray(idx.astype(np.int64), copy=True), axis=a)
        if sign is not None and bc == "dirichlet":
            s = be.asarray(sign.reshape(tuple(-1 if b == a else 1 for b in range(ndim))), copy=True)
            f = f * xp.astype(s, f.dtype)
    shape = tuple(n - 2 * r for n, r in zip(f.shape, radius))
    out = None
    for off, w in taps:
        sl = tuple(slice(r + o, r + o + n) for r, o, n in zip(radius, off, shape))
        term = f[sl] * float(w)
        out = term if out is None else out + term
    return out


# --------------------------------------------------------------------------- public
def laplacian(field, spacing=1.0, *, order=2, points=None, bc="periodic", out=None, backend=None):
    """Finite-difference Laplacian of a 1-, 2- or 3-D field on a cell-centred grid.

    Parameters
    ----------
    field : array or Quantity, shape (n0[, n1[, n2]]), real
        Samples at cell centres, in any unit U.
    spacing : float or sequence of float
        Grid spacing per axis (a scalar for all axes), in length unit L.
    order : {2, 4, 6}
        Accuracy order of the star stencil (3, 5 or 7 points per axis).
    points : int, optional
        ``None`` (default): the star stencil of `order`.  9 (2-D), 19 or 27
        (3-D): the compact isotropic second-order Laplacians (equal spacing).
    bc : {"periodic", "dirichlet", "neumann"}
        Boundary condition on the cell faces (see the module docstring).
    out : array, optional
        Output array (host backends: C-contiguous, same shape, result dtype).
    backend : str or Backend, optional
        Backend; resolved from `field` by default.

    Returns
    -------
    array, same shape, float32 for float32/float16 input else float64, on the backend
        The Laplacian, unit U / L**2.

    Raises
    ------
    ValueError
        Bad `order`, `points`, `bc`, `spacing`, `out`, a field of ndim > 3,
        or a non-periodic axis shorter than the stencil radius.
    NotImplementedError
        A compact stencil with unequal spacing or ``order != 2``.
    TypeError
        Complex or non-numeric `field`.

    Notes
    -----
    Star stencil: ``L f[i] = sum_a sum_m c_m f[i + m e_a] / h_a**2`` with
    ``c`` the central second-difference weights of `order`.  Its symbol is
    ``sum_a (c_0 + 2 sum_{m>0} c_m cos(m k_a h_a)) / h_a**2``
    (:func:`laplacian_symbol`), so a periodic Fourier mode is an exact
    eigenvector.  Weights are float64; the accumulation runs in the output
    dtype.

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.stencil import laplacian
    >>> x = (np.arange(8) + 0.5) * 0.5
    >>> laplacian(x**2, 0.5, bc="neumann", backend="numpy")[2:6]
    array([2., 2., 2., 2.])
    """
    field, spacing, unit = _units(field, spacing, 2)
    be, field, spacing, dt = _prepare(field, spacing, bc, backend)
    if points is not None:
        points = check_int("points", points)
    taps, radius = laplacian_taps(field.ndim, spacing, order, points)
    star = None
    if field.ndim == 3 and order == 2 and (points is None or points == 7):
        star = _star_weights(spacing, order)
    if unit is not None:
        out = getattr(out, "value", out)
    return attach_all(_apply(be, field, taps, radius, bc, dt, out, star), unit)


def gradient(field, spacing=1.0, *, order=2, bc="periodic", axis=None, backend=None):
    """Central-difference gradient of a 1-, 2- or 3-D field on a cell-centred grid.

    Parameters
    ----------
    field : array, shape (n0[, n1[, n2]]), real
        Samples at cell centres, unit U.
    spacing : float or sequence of float
        Grid spacing per axis, length unit L.
    order : {2, 4, 6}
        Accuracy order (2, 4 or 6 neighbours along the axis).
    bc : {"periodic", "dirichlet", "neumann"}
        Boundary condition on the cell faces (see the module docstring).
    axis : int, optional
        Differentiate along this axis only; default every axis.
    backend : str or Backend, optional

    Returns
    -------
    array or tuple of arrays, same shape and dtype rule as :func:`laplacian`
        ``df/dx_axis`` (unit U/L), or the tuple over all axes when `axis` is None.

    Raises
    ------
    ValueError
        Bad `order`, `bc`, `spacing`, `axis`, or an axis shorter than the radius
        for a non-periodic `bc`.

    Notes
    -----
    ``D f[i] = sum_{m != 0} c_m f[i + m e_a] / h_a`` with antisymmetric
    weights; symbol ``2i sum_{m>0} c_m sin(m k h) / h``
    (:func:`gradient_symbol`), which vanishes at the Nyquist wavenumber.

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.stencil import gradient
    >>> x = np.arange(8) + 0.5
    >>> d = gradient(x**3, 1.0, order=4, bc="neumann", axis=0, backend="numpy")
    >>> bool(np.allclose(d[2:6], 3 * x[2:6]**2, rtol=1e-13))
    True
    """
    field, spacing, unit = _units(field, spacing, 1)
    be, field, spacing, dt = _prepare(field, spacing, bc, backend)
    if axis is None:
        axes = range(field.ndim)
    else:
        axis = check_int("axis", axis)
        if not -field.ndim <= axis < field.ndim:
            raise ValueError(f"axis must lie in [-{field.ndim}, {field.ndim}); got {axis}")
        axes = [axis % field.ndim]
    res = []
    for a in axes:
        taps, radius = _gradient_taps(field.ndim, spacing, order, a)
        res.append(_apply(be, field, taps, radius, bc, dt, None))
    return attach_all(res[0] if axis is not None else tuple(res), unit)

