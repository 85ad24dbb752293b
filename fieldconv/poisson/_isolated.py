"""Isolated (free-space) Green's functions of :mod:`fieldconv.poisson`, on the host in float64.

Everything here returns NumPy float64 (or complex128) arrays in the layout
of ``rfftn`` of the doubled grid the solver transforms; the solver casts and moves
them to its backend once and keeps them (no module-level cache: the
octant tables computed on the way are passed in as ``octants``, a dict the
solver owns).

Real-space kernels ``f`` with ``phi_i = coef * sum_j rho_j K[i - j]``:

=========  ======  ====================  ==================  ==============
kernel     ndim    f(x)                  coef                continuous G(k)
=========  ======  ====================  ==================  ==============
newton     3       1/|x|                 -G                  -4 pi G / k^2
newton     1       |x|                   2 pi G              -4 pi G / k^2
log        2       ln|x|                 G                   -2 pi G / k^2
thin-disk  2       1/|x|                 -G                  -2 pi G / |k|
=========  ======  ====================  ==================  ==============

Isolated kernels on the doubled grid (period ``2 n`` per axis):

``integrated``
    ``K[m] = int_{cell m} f(x) d^d x`` (cell-averaged Green's function times
    the cell volume; Hockney & Eastwood 1988, sec. 6-5-4).  Closed-form
    antiderivatives with inclusion-exclusion over the cell corners near the
    origin (|m| < 8 cells) and tensor Gauss-Legendre quadrature (6 points per
    axis for |m| < 24, 4 beyond: the integrand is analytic over the cell with
    its nearest singularity ~|m| cells away, so the error is below 1e-16
    relative), which avoids the cancellation of the corner formula far away.
``spectral``
    Vico, Greengard & Ferrando, J. Comput. Phys. 323 (2016) 191: the
    kernel truncated at ``L = |domain diagonal|`` has the smooth transform
    ``3D: 8 pi sin^2(k L/2)/k^2``; ``2D log: 2 pi [L ln L J1(kL)/k + (J0(kL)-1)/k^2]``;
    ``2D 1/r: (2 pi/k) int_0^{kL} J0``; ``1D |x|: 2 [L sin(kL)/k + (cos(kL)-1)/k^2]``.
    It is sampled on a grid of period ``P >= n h + L`` per axis (about
    ``(1 + sqrt(d)) n`` points), transformed back to real space once (a DCT-I
    of the even octant), and the values at offsets ``|m| <= n`` give the
    kernel of an ordinary doubled-grid convolution.  Spectrally accurate for
    smooth sources contained in the box.
"""

import math

import numpy as np
import scipy.fft as sfft
from scipy import special

from .._antiderivatives import box_antiderivative
from .._fdcoeffs import central_difference
from ._periodic import real_space_coef

__all__ = ["box_integral", "isolated_kernel_hat", "NEAR_CELLS"]

NEAR_CELLS = 8.0


def _pointwise(kernel, ndim, c):
    r2 = sum(x * x for x in c)
    if ndim == 1:
        return np.sqrt(r2)
    if kernel == "log":
        return 0.5 * np.log(r2)
    return 1.0 / np.sqrt(r2)


def box_integral(kernel, ndim, centre, spacing):
    """int over the box centred at `centre` (list of arrays) with sides `spacing` of f."""
    ndim = len(centre)
    centre = [np.asarray(x, dtype=np.float64) for x in centre]
    shape = np.broadcast_shapes(*(x.shape for x in centre))
    centre = [np.broadcast_to(x, shape) for x in centre]
    dist = np.sqrt(sum((x / h) ** 2 for x, h in zip(centre, spacing)))
    out = np.empty(shape)
    near = dist < NEAR_CELLS
    # corner formula near the origin
    if np.any(near):
        cn = [x[near] for x in centre]
        acc = 0.0
        for corner in np.ndindex((2,) * ndim):
            sign = (-1) ** (ndim - sum(corner))
            acc = acc + sign * box_antiderivative(
                kernel, ndim, [x + (s - 0.5) * h for x, s, h in zip(cn, corner, spacing)]
            )
        out[near] = acc
    # Gauss-Legendre far away
    for lo, hi, q in ((NEAR_CELLS, 24.0, 6), (24.0, np.inf, 4)):
        sel = (dist >= lo) & (dist < hi)
        if not np.any(sel):
            continue
        cs = [x[sel] for x in centre]
        t, w = np.polynomial.legendre.leggauss(q)
        t, w = t / 2.0, w / 2.0
        acc = 0.0
        for idx in np.ndindex((q,) * ndim):
            wt = 1.0
            pts = []
            for a, i in enumerate(idx):
                wt *= w[i]
                pts.append(cs[a] + t[i] * spacing[a])
            acc = acc + wt * _pointwise(kernel, ndim, pts)
        out[sel] = acc * math.prod(spacing)
    if ndim == 1:  # exact closed form, no cancellation: h |x| away from the origin
        x = np.abs(centre[0])
        h = spacing[0]
        out = np.where(x >= h / 2, h * x, x * x + h * h / 4.0)
    return out




def _octant_integrated(kernel, shape, spacing, extra):
    """K[m] for m_a = 0..n_a + extra (non-negative offsets), float64."""
    axes = [np.arange(n + extra + 1) * h for n, h in zip(shape, spacing)]
    grids = np.meshgrid(*axes, indexing="ij")
    out = box_integral(kernel, len(shape), grids, spacing)
    out.flags.writeable = False
    return out




def _truncated_hat(kernel, ndim, k, L):
    """Transform of f truncated at radius L, at |k| = k (array, >= 0)."""
    kL = k * L
    with np.errstate(divide="ignore", invalid="ignore"):
        if ndim == 3:
            g = 8.0 * math.pi * np.sin(kL / 2.0) ** 2 / (k * k)
            g0 = 2.0 * math.pi * L * L
        elif ndim == 1:
            g = 2.0 * (L * np.sin(kL) / k + (np.cos(kL) - 1.0) / (k * k))
            g0 = L * L
        elif kernel == "log":
            g = 2.0 * math.pi * (L * math.log(L) * special.j1(kL) / k + (special.j0(kL) - 1.0) / (k * k))
            g0 = math.pi * L * L * (math.log(L) - 0.5)
        else:
            g = 2.0 * math.pi * _int_j0(kL) / k
            g0 = 2.0 * math.pi * L
    return np.where(k > 0, g, g0)


def _int_j0(x):
    """int_0^x J0(t) dt: Struve form below 40 (~3e-15), scipy's itj0y0 above (~1e-13).

    (itj0y0 alone is off by up to 1e-10 near x = 20.)
    """
    x = np.asarray(x, dtype=np.float64)
    xs = np.minimum(x, 40.0)
    small = xs * special.j0(xs) + 0.5 * math.pi * xs * (
        special.j1(xs) * special.struve(0, xs) - special.j0(xs) * special.struve(1, xs)
    )
    return np.where(x < 40.0, small, special.itj0y0(np.maximum(x, 40.0))[0])


def _fine_grid(shape, spacing, extra):
    """Even number of points per axis of the VGF oversampled grid, and L."""
    L = math.sqrt(sum((n * h) ** 2 for n, h in zip(shape, spacing)))
    M = []
    for n, h in zip(shape, spacing):
        m = max(math.ceil((n * h + L) / h * (1 + 1e-12)), 2 * (n + extra + 1))
        M.append(m + (m % 2))
    return M, L




def _octant_spectral(kernel, shape, spacing, extra):
    """Effective real-space kernel at offsets 0..n_a + extra (float64)."""
    ndim = len(shape)
    M, L = _fine_grid(shape, spacing, extra)
    ks = [2.0 * math.pi * np.arange(m // 2 + 1) / (m * h) for m, h in zip(M, spacing)]
    grids = np.meshgrid(*ks, indexing="ij", sparse=True)
    k = np.sqrt(sum(g * g for g in grids))
    ghat = _truncated_hat(kernel, ndim, k, L)
    # sum over the full periodic k grid of ghat(k) cos(k.m h): DCT-I of the even octant
    keff = sfft.dctn(ghat, type=1) / math.prod(M)
    out = np.ascontiguousarray(keff[tuple(slice(0, n + extra + 1) for n in shape)])
    out.flags.writeable = False
    return out


# ------------------------------------------------------------ octant -> rfft layout
def _transform_octant(oct_, shape, odd_axis):
    """rfftn (period 2n per axis) of the kernel whose non-negative octant is `oct_`.

    The kernel is even in every axis except `odd_axis` (odd, or None).  Returns
    a real array R with rfftn(K) = R (even) or -1j * R (odd), rfft layout.
    """
    ndim = len(shape)
    x = oct_[tuple(slice(0, n + 1) for n in shape)]
    for a in range(ndim):
        n = shape[a]
        if a == odd_axis:
            inner = np.take(x, np.arange(1, n), axis=a)
            if n > 1:
                y = sfft.dst(inner, type=1, axis=a)
            else:
                y = inner
            zero = np.zeros_like(np.take(x, [0], axis=a))
            x = np.concatenate([zero, y, zero], axis=a)
        else:
            x = sfft.dct(x, type=1, axis=a) if n >= 1 and x.shape[a] > 1 else x
    # expand non-last axes to the full 2n layout (mirror, sign for the odd axis)
    for a in range(ndim - 1):
        n = shape[a]
        mirror = np.flip(np.take(x, np.arange(1, n), axis=a), axis=a)
        if a == odd_axis:
            mirror = -mirror
        x = np.concatenate([x, mirror], axis=a)
    return x




def isolated_kernel_hat(kernel, shape, spacing, method, deriv_axis=None, fd_order=None, *, octants=None):
    """rfftn of the isolated kernel on the doubled grid (host, float64 or complex128).

    ``deriv_axis=None``: the potential kernel coef*K (real array).
    ``deriv_axis=a``: the force kernel -coef*dK/dx_a (complex array), by the
    spectral derivative (``fd_order=None``) or by the central difference of
    `fd_order` applied to K.  `octants`, a dict owned by the caller, keeps
    the real-space octant tables between the potential and the force
    kernels (they are the expensive part); None builds them afresh.
    """
    ndim = len(shape)
    coef = real_space_coef(kernel, ndim)
    r = 0 if fd_order is None else fd_order // 2
    builder = _octant_integrated if method == "integrated" else _octant_spectral

    def build(kernel, shape, spacing, extra):
        key = (method, extra)
        if octants is not None and key in octants:
            return octants[key]
        table = builder(kernel, shape, spacing, extra)
        if octants is not None:
            octants[key] = table
        return table

    if deriv_axis is None:
        oct_ = build(kernel, shape, spacing, 0)
        out = coef * _transform_octant(oct_, shape, None)
        out.flags.writeable = False
        return out
    a = deriv_axis
    if fd_order is None:
        if method == "integrated":
            raise NotImplementedError("spectral forces need the spectral Green's function; use fd forces")
        M, L = _fine_grid(shape, spacing, 0)
        ks = [2.0 * math.pi * np.arange(m // 2 + 1) / (m * h) for m, h in zip(M, spacing)]
        grids = np.meshgrid(*ks, indexing="ij", sparse=True)
        k = np.sqrt(sum(g * g for g in grids))
        f = _truncated_hat(kernel, ndim, k, L) * grids[a]
        # dK/dx_a[m] = (1/prod M) sum_k i k_a ghat e^{i k.m h} = -(1/prod M) sum k_a ghat sin(k_a m_a h) prod cos
        inner = np.take(f, np.arange(1, M[a] // 2), axis=a)
        y = sfft.dst(inner, type=1, axis=a)
        for b in range(ndim):
            if b != a:
                y = sfft.dct(y, type=1, axis=b)
        zero = np.zeros_like(np.take(y, [0], axis=a))
        dk = -np.concatenate([zero, y], axis=a) / math.prod(M)
        dk = dk[tuple(slice(0, n + 1) for n in shape)]
    else:
        oct_ = build(kernel, shape, spacing, r)
        w = central_difference(1, fd_order) / spacing[a]
        # even extension along a so that offsets m_a - s (< 0) are available
        n_ext = oct_.shape[a]
        full = np.concatenate([np.flip(np.take(oct_, np.arange(1, n_ext), axis=a), axis=a), oct_], axis=a)
        centre = n_ext - 1
        dk = 0.0
        for s in range(-r, r + 1):
            if w[s + r] != 0:
                dk = dk + w[s + r] * np.take(full, centre + s + np.arange(0, shape[a] + 1), axis=a)
        dk = dk[tuple(slice(0, n + 1) for n in shape)]
    dk = np.array(dk)
    dk[tuple(0 if b == a else slice(None) for b in range(ndim))] = 0.0  # odd: exactly 0 at m_a = 0
    R = _transform_octant(dk, shape, a)
    out = (-coef) * (-1j) * R
    out.flags.writeable = False
    return out
