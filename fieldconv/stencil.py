"""Laplacian and gradient stencils, and their spectral counterparts.

Grids are **cell-centred**: sample ``i`` sits at ``(i + 1/2) h`` and the
boundary faces at ``0`` and ``n h``.  Boundary conditions fill ghost cells:

``"periodic"``
    ``f[-1-m] = f[n-1-m]``, ``f[n+m] = f[m]``.
``"dirichlet"``
    Zero value *on the boundary face*: antisymmetric ghost,
    ``f[-1-m] = -f[m]`` and ``f[n+m] = -f[n-1-m]``.
``"neumann"``
    Zero normal derivative (zero flux) on the boundary face: symmetric
    ghost, ``f[-1-m] = f[m]`` and ``f[n+m] = f[n-1-m]``.

A stencil of radius ``r`` needs ``r`` ghost layers, so the non-periodic
conditions need ``n >= r`` on every axis.  With these ghosts the
second-order Laplacian is the standard cell-centred finite-volume operator
(exact for the modes ``sin((j+1/2) pi q/n)`` resp. ``cos(...)``, which are its
eigenvectors).  The higher-order stencils with mirrored ghosts are formally
of order 2/4/6 in the interior and lower within ``r`` cells of a non-periodic
boundary (the mirrored ghosts are exact only for the odd resp. even
extension of the field).

Weights come from :mod:`fieldconv._fdcoeffs` (the single source, shared with
:func:`fieldconv.kernels.laplacian`): star stencils of order 2/4/6 along each
axis (3/5/7 points per axis, any spacing per axis) and the compact
isotropic 9-point (2D), 19- and 27-point (3D) second-order Laplacians
(equal spacing only).

On host backends the stencil runs in a numba-parallel kernel writing directly
into the output (no other array of the field's size); on other backends
(CuPy, array-API namespaces) in plain array code (ghost layers by
``take``, then a weighted sum of shifted slices).

The spectral operators assume a periodic field and multiply by ``i k`` or
``-|k|^2`` (``k`` angular, rad/length).  The Nyquist mode of an even-length
axis is **zeroed in first (odd) derivatives**, because ``i k`` there has no
real-valued counterpart; the Laplacian keeps it (``-k_nyq^2``).
"""

import math

import numpy as np

from ._dtypes import result_dtype
from ._fdcoeffs import central_difference, compact_laplacian
from ._units import attach, is_quantity, strip
from ._validate import as_spacing, check_choice, check_int
from .backend import get_backend

__all__ = [
    "laplacian",
    "gradient",
    "spectral_laplacian",
    "spectral_gradient",
    "laplacian_symbol",
    "gradient_symbol",
]

BCS = ("periodic", "dirichlet", "neumann")


# ----------------------------------------------------------------------------- taps
def _check_order(order):
    if isinstance(order, bool) or order not in (2, 4, 6):
        raise ValueError(f"order must be one of 2, 4, 6; got {order!r}")
    return int(order)


def _laplacian_taps(ndim, spacing, order, points):
    """List of (offset tuple, weight) of the Laplacian, and the radius per axis."""
    order = _check_order(order)
    star_points = ndim * order + 1
    if points is None or points == star_points:
        taps = {}
        for a, h in enumerate(spacing):
            w = central_difference(2, order) / h**2
            r = order // 2
            for m in range(-r, r + 1):
                off = tuple(m if b == a else 0 for b in range(ndim))
                taps[off] = taps.get(off, 0.0) + float(w[m + r])
        return sorted(taps.items()), (order // 2,) * ndim
    if (ndim, points) not in ((2, 9), (3, 19), (3, 27)):
        raise ValueError(
            f"points must be None, {star_points} (the star stencil) or 9 (2D) / 19, 27 (3D) for a "
            f"{ndim}-D field; got {points!r}"
        )
    if order != 2:
        raise NotImplementedError(f"the compact {points}-point Laplacian is second order; got order={order}")
    if max(spacing) != min(spacing):
        raise NotImplementedError(
            f"the compact {points}-point Laplacian needs equal spacing on every axis; got spacing={spacing}"
        )
    w = compact_laplacian(ndim, points) / spacing[0] ** 2
    taps = [(tuple(int(i) - 1 for i in idx), float(w[idx])) for idx in np.ndindex(w.shape) if w[idx] != 0]
    return taps, (1,) * ndim


def _gradient_taps(ndim, spacing, order, axis):
    order = _check_order(order)
    w = central_difference(1, order) / spacing[axis]
    r = order // 2
    taps = [(tuple(m if b == axis else 0 for b in range(ndim)), float(w[m + r])) for m in range(-r, r + 1) if m != 0]
    return taps, tuple(r if b == axis else 0 for b in range(ndim))


# --------------------------------------------------------------------------- units
def _strip_spacing(spacing):
    """Split a spacing (float, sequence, Quantity or sequence of Quantities) into (plain, unit or None)."""
    if is_quantity(spacing):
        value, unit = strip(spacing, "spacing")
        value = np.asarray(value, dtype=float)
        return (float(value) if value.ndim == 0 else tuple(value.tolist())), unit
    if isinstance(spacing, (list, tuple)) and any(is_quantity(v) for v in spacing):
        unit = next(v.unit for v in spacing if is_quantity(v))
        return tuple(float(strip(v, f"spacing[{i}]", unit)[0]) for i, v in enumerate(spacing)), unit
    return spacing, None


def _units(field, spacing, power):
    field, fu = strip(field, "field")
    spacing, lu = _strip_spacing(spacing)
    if fu is None and lu is None:
        return field, spacing, None
    import astropy.units as u

    return field, spacing, (fu or u.one) / (lu or u.one) ** power


def _attach_all(res, unit):
    if unit is None:
        return res
    if isinstance(res, tuple):
        return tuple(attach(r, unit) for r in res)
    return attach(res, unit)


# --------------------------------------------------------------------------- apply
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
        if out is None:
            out = be.empty(shape, dt)
        elif not isinstance(out, np.ndarray) or out.shape != shape or out.dtype != dt or not out.flags.c_contiguous:
            raise ValueError(
                f"out must be a C-contiguous array of shape {shape} and dtype {np.dtype(dt)}; got "
                f"{getattr(out, 'shape', None)} {getattr(out, 'dtype', type(out))}"
            )
        f = np.ascontiguousarray(field, dtype=dt)  # no copy for contiguous float32/float64 input
        if np.shares_memory(f, out):
            raise ValueError("out must not overlap the input field")
        pad = (1,) * (3 - f.ndim)
        taps3 = [((0,) * (3 - f.ndim) + tuple(o), w) for o, w in taps]
        if star is not None and f.ndim == 3 and shape[2] >= 2 * radius[2]:
            from ._numba_stencil import apply_star3d

            apply_star3d(f, out, star, bc)
            return out
        from ._numba_stencil import apply_taps

        apply_taps(f.reshape(pad + shape), out.reshape(pad + shape), taps3, bc)
        return out
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
    taps, radius = _laplacian_taps(field.ndim, spacing, order, points)
    star = None
    if field.ndim == 3 and order == 2 and (points is None or points == 7):
        star = _star_weights(spacing, order)
    if unit is not None:
        out = getattr(out, "value", out)
    return _attach_all(_apply(be, field, taps, radius, bc, dt, out, star), unit)


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
    return _attach_all(res[0] if axis is not None else tuple(res), unit)


# ---------------------------------------------------------------------------- symbols
def _phase_cos_sin(n, m_off, rfft):
    """cos and sin of 2 pi q m_off / n for the FFT mode indices q (exact phase reduction)."""
    q = np.arange(n // 2 + 1) if rfft else np.fft.fftfreq(n, 1.0 / n).astype(np.int64)
    ph = 2.0 * math.pi * ((q * m_off) % n) / n
    return np.cos(ph), np.sin(ph)


def laplacian_symbol(shape, spacing=1.0, *, order=2, points=None, rfft=True):
    """Fourier symbol (eigenvalues) of the stencil Laplacian on a periodic grid.

    Parameters
    ----------
    shape : tuple of int
        Grid shape (1-3 axes).
    spacing : float or sequence of float
    order, points : as in :func:`laplacian`
    rfft : bool
        True: the last axis has ``n//2 + 1`` entries (``rfftn`` layout).

    Returns
    -------
    ndarray, float64, the FFT-layout shape (host NumPy)
        ``lambda(k)`` with ``laplacian(exp(i k x)) = lambda(k) exp(i k x)``;
        ``-|k|**2 + O(h**order)``; 0 at k = 0.

    Examples
    --------
    >>> from fieldconv.stencil import laplacian_symbol
    >>> laplacian_symbol((4,), 1.0)
    array([ 0., -2., -4.])
    """
    shape = tuple(int(n) for n in shape)
    ndim = len(shape)
    spacing = as_spacing(spacing, ndim)
    taps, _ = _laplacian_taps(ndim, spacing, order, points)
    out_shape = tuple(n // 2 + 1 if (rfft and a == ndim - 1) else n for a, n in enumerate(shape))
    lam = np.zeros(out_shape)
    # Every Laplacian here is symmetric under reflection of each axis, so
    # sum_d w_d cos(k.d h) = sum_d w_d prod_a cos(k_a d_a h_a) exactly.
    for off, w in taps:
        term = np.full((1,) * ndim, w)
        for a, (n, m) in enumerate(zip(shape, off)):
            c, _s = _phase_cos_sin(n, m, rfft and a == ndim - 1)
            term = term * c.reshape(tuple(-1 if b == a else 1 for b in range(ndim)))
        lam = lam + term
    lam.flat[0] = 0.0
    return lam


def gradient_symbol(n, spacing=1.0, *, order=2, rfft=False, spectral=False):
    """1-D symbol ``d(k)`` of the derivative: ``D exp(i k x) = i d(k) exp(i k x)``.

    Parameters
    ----------
    n : int
        Axis length.
    spacing : float
    order : {2, 4, 6}
        Central-difference order (ignored when `spectral`).
    rfft : bool
        Non-negative modes only (``n//2 + 1`` entries).
    spectral : bool
        ``d = k`` with the Nyquist entry of an even `n` set to 0.

    Returns
    -------
    ndarray, float64 (host)
        Real ``d(k)`` in rad/length; 0 at the Nyquist mode in every case.

    Examples
    --------
    >>> from fieldconv.stencil import gradient_symbol
    >>> gradient_symbol(4, 1.0, spectral=True)
    array([ 0.        ,  1.57079633,  0.        , -1.57079633])
    """
    n = check_int("n", n, minimum=1)
    h = float(spacing)
    if spectral:
        q = np.arange(n // 2 + 1) if rfft else np.fft.fftfreq(n, 1.0 / n)
        d = 2.0 * math.pi * q / (n * h)
        if n % 2 == 0:
            d[np.abs(q) == n // 2] = 0.0
        return d
    w = central_difference(1, _check_order(order))
    r = order // 2
    d = 0.0
    for m in range(1, r + 1):
        _c, s = _phase_cos_sin(n, m, rfft)
        d = d + 2.0 * w[m + r] * s / h
    if n % 2 == 0:
        d[n // 2] = 0.0  # exactly zero (sin(m pi)); removes the rounding residue
    return d


# --------------------------------------------------------------------------- spectral
def _spectral_prepare(field, spacing, backend):
    be = get_backend(backend, like=field)
    field = be.asarray(field)
    if field.ndim < 1:
        raise ValueError(f"field must have at least one axis; got ndim={field.ndim}")
    dt = result_dtype(field.dtype)
    if field.dtype != be.dtype(dt):
        field = be.xp.astype(field, be.dtype(dt))
    spacing = as_spacing(spacing, field.ndim)
    return be, field, spacing, dt


def _on_axis(be, v, a, ndim, dt):
    return be.xp.astype(be.asarray(v.reshape(tuple(-1 if b == a else 1 for b in range(ndim))), copy=True), be.dtype(dt))


def spectral_laplacian(field, spacing=1.0, *, backend=None):
    """Spectral Laplacian ``irfftn(-|k|^2 rfftn(f))`` of a periodic field.

    Parameters
    ----------
    field : array, real, any number of axes
    spacing : float or sequence of float
    backend : str or Backend, optional

    Returns
    -------
    array, same shape, dtype rule as :func:`laplacian`
        Exact (to FFT rounding) for band-limited periodic fields.

    Notes
    -----
    ``k`` is angular (rad/length); the Nyquist mode is kept with
    ``-k_nyq**2`` (the second derivative has a real symbol there).

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.stencil import spectral_laplacian
    >>> x = 2 * np.pi * np.arange(16) / 16
    >>> bool(np.allclose(spectral_laplacian(np.sin(3 * x), 2 * np.pi / 16, backend="numpy"), -9 * np.sin(3 * x)))
    True
    """
    field, spacing, unit = _units(field, spacing, 2)
    be, field, spacing, dt = _spectral_prepare(field, spacing, backend)
    shape = tuple(field.shape)
    ndim = len(shape)
    sym = 0.0
    for a in range(ndim):
        k = 2.0 * math.pi * (np.arange(shape[a] // 2 + 1) if a == ndim - 1 else np.fft.fftfreq(shape[a], 1.0 / shape[a])) / (
            shape[a] * spacing[a]
        )
        sym = sym - _on_axis(be, k**2, a, ndim, dt)
    X = be.rfftn(field)
    X = X * sym
    return _attach_all(be.irfftn(X, s=shape, overwrite_x=True), unit)


def spectral_gradient(field, spacing=1.0, *, axis=None, backend=None):
    """Spectral gradient ``irfftn(i k_a rfftn(f))`` of a periodic field.

    Parameters
    ----------
    field : array, real
    spacing : float or sequence of float
    axis : int, optional
        One axis; default all, returned as a tuple.
    backend : str or Backend, optional

    Returns
    -------
    array or tuple of arrays, same shape, dtype rule as :func:`laplacian`

    Notes
    -----
    The Nyquist mode of an even-length axis is zeroed (the derivative of
    ``cos(pi x/h)`` sampled on the grid is ambiguous; zeroing keeps the
    operator real and antisymmetric).

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.stencil import spectral_gradient
    >>> x = 2 * np.pi * np.arange(16) / 16
    >>> d = spectral_gradient(np.sin(3 * x), 2 * np.pi / 16, axis=0, backend="numpy")
    >>> bool(np.allclose(d, 3 * np.cos(3 * x)))
    True
    """
    field, spacing, unit = _units(field, spacing, 1)
    be, field, spacing, dt = _spectral_prepare(field, spacing, backend)
    shape = tuple(field.shape)
    ndim = len(shape)
    if axis is None:
        axes = list(range(ndim))
    else:
        axis = check_int("axis", axis)
        if not -ndim <= axis < ndim:
            raise ValueError(f"axis must lie in [-{ndim}, {ndim}); got {axis}")
        axes = [axis % ndim]
    X = be.rfftn(field)
    res = []
    for a in axes:
        d = gradient_symbol(shape[a], spacing[a], rfft=(a == ndim - 1), spectral=True)
        Y = X * (_on_axis(be, d, a, ndim, dt) * 1j)
        res.append(be.irfftn(Y, s=shape, overwrite_x=True))
    return _attach_all(res[0] if axis is not None else tuple(res), unit)
