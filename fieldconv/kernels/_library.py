"""The library of standard kernels: smoothing, derivatives, edges, windows, Savitzky-Golay.

Every constructor returns a :class:`~fieldconv.kernels.Kernel`; the
normalisation table and the convention are in :mod:`fieldconv.kernels`.
Derivative stencils built with a Quantity spacing carry the unit of their
weights (``1 / length**order``); Savitzky-Golay coefficients come from
:mod:`fieldconv._sgcoeffs` (shared with :mod:`fieldconv.smoothing`),
B-spline windows from :mod:`fieldconv._windows` (shared with
:mod:`fieldconv.assign`).
"""

import functools
import math

import numpy as np

from .. import _fdcoeffs, _sgcoeffs
from .._units import product, strip, strip_like, strip_spacing
from .._validate import as_spacing, check_choice, check_int, check_order, check_positive
from .._windows import bspline, scheme_order
from .._deprecate import renamed
from ._kernel import Kernel, _attach_spacing, check_scalar

__all__ = [
    "box",
    "gaussian",
    "laplacian",
    "gradient",
    "sobel",
    "prewitt",
    "scharr",
    "directional_derivative",
    "unsharp_mask",
    "assignment_window",
    "savgol",
]


def box(shape, *, spacing=None):
    """Moving-average (box) kernel, weights ``1 / size``.

    Parameters
    ----------
    shape : int or sequence of int
        Taps per axis (an int is a 1-D kernel).  An even size keeps the
        default origin ``n // 2``.
    spacing : float or sequence or Quantity, optional
        Recorded on the kernel.

    Returns
    -------
    Kernel
        Sum 1; separable.

    Raises
    ------
    ValueError
        If a size is < 1.

    Examples
    --------
    >>> from fieldconv.kernels import box
    >>> box(4).weights
    array([0.25, 0.25, 0.25, 0.25])
    >>> box((3, 3)).is_separable
    True
    """
    shape = (shape,) if np.ndim(shape) == 0 else tuple(shape)
    shape = tuple(check_int("shape", n, minimum=1) for n in shape)
    if not shape:
        raise ValueError("shape must have at least one entry; got ()")
    size = math.prod(shape)
    return Kernel(np.full(shape, 1.0 / size), spacing=spacing, name="box")


def _gaussian_1d(sigma, truncate, mode):
    r = int(truncate * sigma + 0.5)
    j = np.arange(-r, r + 1)
    if mode == "sample":
        w = np.exp(-0.5 * (j / sigma) ** 2)
    else:
        # cell average: 0.5 [erf((j+1/2)/(s sqrt2)) - erf((j-1/2)/(s sqrt2))]; written with
        # erfc of |j| - 1/2 and |j| + 1/2 so the tails do not cancel catastrophically.
        s2 = sigma * math.sqrt(2.0)
        w = np.array(
            [
                0.5 * (math.erfc((abs(x) - 0.5) / s2) - math.erfc((abs(x) + 0.5) / s2))
                if x != 0
                else math.erf(0.5 / s2)
                for x in j
            ]
        )
    return w / math.fsum(w)


def gaussian(sigma, *, ndim=None, truncate=4.0, mode="sample", spacing=None):
    """Gaussian smoothing kernel, normalised to sum 1.

    Parameters
    ----------
    sigma : float or sequence of float or Quantity
        Standard deviation, per axis if a sequence; in grid units, or in the
        units of `spacing` when `spacing` is given.
    ndim : int, optional
        Number of axes (default: ``len(sigma)`` or 1).
    truncate : float, optional
        Radius ``r = int(truncate * sigma / h + 0.5)`` taps per side, as
        ``scipy.ndimage.gaussian_filter``.
    mode : {"sample", "integrate"}, optional
        ``"sample"``: ``exp(-x**2 / (2 sigma**2))`` at the grid points;
        ``"integrate"``: the Gaussian's integral over each cell
        ``[j - 1/2, j + 1/2]``, i.e. erf differences (right for sigma below
        about one cell, where point sampling is wrong: the sampled kernel's
        variance is not ``sigma**2``).
    spacing : float or sequence or Quantity, optional
        Grid spacing; converts sigma to grid units and is recorded.

    Returns
    -------
    Kernel
        Odd size ``2 r + 1`` per axis, centred, sum 1 (each 1-D factor is
        normalised by its exact ``fsum``, so the N-D sum is 1 to rounding);
        separable.

    Raises
    ------
    ValueError
        Non-positive sigma or truncate, unknown mode, ndim disagreeing with
        sigma.

    Examples
    --------
    >>> from fieldconv.kernels import gaussian
    >>> gaussian(1.0, truncate=2.0).weights.round(4)
    array([0.0545, 0.2442, 0.4026, 0.2442, 0.0545])
    >>> gaussian(0.3, mode="integrate").weights.round(4)
    array([0.0478, 0.9044, 0.0478])
    """
    check_choice("mode", mode, ("sample", "integrate"))
    sunit = None
    h = None
    if spacing is not None:
        spacing, sunit = strip_spacing(spacing)
    sigma = strip_like(sigma, "sigma", sunit)
    nsig = None if np.ndim(sigma) == 0 else len(sigma)
    if ndim is None:
        ndim = nsig or 1
    ndim = check_int("ndim", ndim, minimum=1)
    if nsig is not None and nsig != ndim:
        raise ValueError(f"sigma must be a scalar or have ndim={ndim} entries; got {nsig} entries")
    sig = as_spacing(sigma, ndim, name="sigma")
    truncate = check_positive("truncate", truncate)
    if spacing is not None:
        h = as_spacing(spacing, ndim)
        sig = tuple(s / hh for s, hh in zip(sig, h))
    factors = [_gaussian_1d(s, truncate, mode) for s in sig]
    w = functools.reduce(np.multiply.outer, factors)
    return Kernel(w, spacing=None if h is None else _attach_spacing(h, sunit), name="gaussian")


def laplacian(ndim, *, order=2, points=None, spacing=1.0):
    """Finite-difference Laplacian stencil: ``convolve(f, K)`` is ``nabla^2 f``.

    Parameters
    ----------
    ndim : int >= 1
    order : {2, 4, 6}, optional
        Accuracy order of the star stencil (``order + 1`` points per axis).
    points : int, optional
        Total number of points.  Default: the star, ``ndim * order + 1``.
        The compact isotropic stencils (order 2): 9 in 2-D, 19 or 27 in 3-D.
        In 2-D, ``points=9`` with ``order=2`` is the compact stencil, with
        ``order=4`` the 4th-order star.
    spacing : float or sequence or Quantity, optional
        Grid spacing per axis (default 1).  Anisotropic spacing is supported
        by the star stencils only.

    Returns
    -------
    Kernel
        Shape ``(order + 1,) * ndim`` (compact: ``(3,) * ndim``), centred,
        symmetric (convolution equals correlation), sum 0, weights divided by
        ``h**2``.  Weights from :mod:`fieldconv._fdcoeffs`.

    Raises
    ------
    ValueError
        Bad ndim, order or points.
    NotImplementedError
        A compact stencil with unequal spacings.

    Notes
    -----
    Symbol of the order-2 star: ``-sum_a 4 / h_a**2 sin(k_a h_a / 2)**2``.
    The compact stencils have the isotropic leading error
    ``h**2 / 12 nabla^4`` (Patra & Karttunen 2006).

    Examples
    --------
    >>> from fieldconv.kernels import laplacian
    >>> laplacian(2).weights
    array([[ 0.,  1.,  0.],
           [ 1., -4.,  1.],
           [ 0.,  1.,  0.]])
    >>> (laplacian(2, points=9).weights * 6).round(12)
    array([[  1.,   4.,   1.],
           [  4., -20.,   4.],
           [  1.,   4.,   1.]])
    >>> laplacian(1, order=4, spacing=0.5).weights * 12 * 0.25
    array([ -1.,  16., -30.,  16.,  -1.])
    """
    ndim = check_int("ndim", ndim, minimum=1)
    spacing, unit = strip_spacing(spacing)
    h = as_spacing(spacing, ndim)
    w, points = _fdcoeffs.laplacian_weights(ndim, h, order, points)
    name = f"laplacian({points}-point)"
    return Kernel(w, spacing=_attach_spacing(h, unit), name=name, unit=product((unit, -2)))


def gradient(ndim, axis, *, order=2, spacing=1.0):
    """Central-difference first derivative along `axis`: ``convolve(f, K) = df/dx_axis``.

    Parameters
    ----------
    ndim : int >= 1
    axis : int
        Axis of differentiation, ``-ndim <= axis < ndim``.
    order : {2, 4, 6}, optional
        Accuracy order (``order + 1`` taps).
    spacing : float or sequence or Quantity, optional
        Grid spacing (scalar or per axis; only the entry of `axis` enters
        the weights).

    Returns
    -------
    Kernel
        Shape ``order + 1`` along `axis` and 1 elsewhere, centred, sum 0,
        antisymmetric (so ``correlate`` gives ``-df/dx``).  Differentiates
        polynomials of degree ``<= order`` exactly.

    Raises
    ------
    ValueError
        Bad ndim, axis or order.

    Examples
    --------
    >>> from fieldconv.kernels import gradient
    >>> gradient(1, 0).weights            # convolution order: f[i+1]/2 - f[i-1]/2
    array([ 0.5,  0. , -0.5])
    >>> gradient(2, 1, order=4).shape
    (1, 5)
    """
    ndim = check_int("ndim", ndim, minimum=1)
    axis = check_int("axis", axis)
    if not -ndim <= axis < ndim:
        raise ValueError(f"axis must lie in [-{ndim}, {ndim}); got {axis}")
    axis %= ndim
    order = check_order(order, _fdcoeffs.ORDERS)
    spacing, unit = strip_spacing(spacing)
    h = as_spacing(spacing, ndim)
    c = _fdcoeffs.central_difference(1, order)[::-1] / h[axis]  # correlation -> convolution order
    shape = [1] * ndim
    shape[axis] = c.size
    return Kernel(c.reshape(shape), spacing=_attach_spacing(h, unit), name=f"gradient(axis={axis})",
                  unit=product((unit, -1)))


_EDGE = {"sobel": ([1.0, 2.0, 1.0], 8.0), "prewitt": ([1.0, 1.0, 1.0], 6.0), "scharr": ([3.0, 10.0, 3.0], 32.0)}


def _edge(kind, axis, ndim, derivative):
    ndim = check_int("ndim", ndim, minimum=2)
    axis = check_int("axis", axis)
    if not -ndim <= axis < ndim:
        raise ValueError(f"axis must lie in [-{ndim}, {ndim}); got {axis}")
    axis %= ndim
    smooth, norm = _EDGE[kind]
    factors = [np.array(smooth)] * ndim
    factors[axis] = np.array([1.0, 0.0, -1.0])  # convolution order of correlate weights [-1, 0, 1]
    w = functools.reduce(np.multiply.outer, factors)
    if derivative:
        # [1, 0, -1] is twice the central difference; each smoothing factor sums to sum(smooth)
        w = w / (2.0 * math.fsum(smooth) ** (ndim - 1))
    return Kernel(w, name=f"{kind}(axis={axis})")


def _edge_doc(kind, smooth, norm):
    if kind == "scharr":
        ref = (
            "the integer weights of ``scipy.ndimage.sobel``'s convention with\n"
            "        the smoothing ``[1, 2, 1]`` replaced by Scharr's ``[3, 10, 3]`` (as\n"
            "        OpenCV's ``Scharr``; scipy has no ``scharr``), about ``32 df/dx`` in 2-D."
        )
    else:
        ref = (
            f"integer weights such that ``convolve(f, K)`` equals\n"
            f"        ``scipy.ndimage.{kind}(f, axis)`` (same boundary mode), about\n"
            f"        ``{norm:g} df/dx`` in 2-D."
        )
    return f"""{kind.capitalize()} edge kernel: derivative along `axis`, {smooth} smoothing across.

    Parameters
    ----------
    axis : int
        Axis of differentiation.
    ndim : int >= 2, optional
        Number of axes (default 2); the smoothing is applied on every other axis.
    derivative : bool, optional
        False (default): {ref}
        True: divided by ``2 * sum(smoothing)**(ndim - 1)`` (``{norm:g}`` in
        2-D), so that ``convolve(f, K)`` approximates ``df/dx_axis`` in grid
        units, exactly on linear fields.

    Returns
    -------
    Kernel
        Shape ``(3,) * ndim``, centred, separable, sum 0: outer product of
        ``[1, 0, -1]`` (convolution order of scipy's correlation weights
        ``[-1, 0, 1]``) along `axis` and ``{smooth}`` on the other axes.

    Raises
    ------
    ValueError
        Bad axis or ndim.
    """


@renamed(normalize="derivative")
def sobel(axis, *, ndim=2, derivative=False):
    return _edge("sobel", axis, ndim, derivative)


@renamed(normalize="derivative")
def prewitt(axis, *, ndim=2, derivative=False):
    return _edge("prewitt", axis, ndim, derivative)


@renamed(normalize="derivative")
def scharr(axis, *, ndim=2, derivative=False):
    return _edge("scharr", axis, ndim, derivative)


sobel.__doc__ = (
    _edge_doc("sobel", "[1, 2, 1]", 8)
    + """
    Examples
    --------
    >>> from fieldconv.kernels import sobel
    >>> sobel(0).weights
    array([[ 1.,  2.,  1.],
           [ 0.,  0.,  0.],
           [-1., -2., -1.]])
    """
)
prewitt.__doc__ = (
    _edge_doc("prewitt", "[1, 1, 1]", 6)
    + """
    Examples
    --------
    >>> from fieldconv.kernels import prewitt
    >>> prewitt(1).weights
    array([[ 1.,  0., -1.],
           [ 1.,  0., -1.],
           [ 1.,  0., -1.]])
    """
)
scharr.__doc__ = (
    _edge_doc("scharr", "[3, 10, 3]", 32)
    + """
    Examples
    --------
    >>> from fieldconv.kernels import scharr
    >>> scharr(1, derivative=True).weights * 32
    array([[  3.,   0.,  -3.],
           [ 10.,   0., -10.],
           [  3.,   0.,  -3.]])
    """
)


def directional_derivative(angle, *, order=2, spacing=1.0):
    """First derivative along the direction at `angle`: ``cos(a) d/dx + sin(a) d/dy``.

    Parameters
    ----------
    angle : float or Quantity
        Radians (or an angle Quantity), measured from axis 0 (x) towards
        axis 1 (y): fieldconv indexes 2-D fields as ``f[x, y]``.
    order : {2, 4, 6}, optional
        Accuracy order of the central differences.
    spacing : float or pair or Quantity, optional
        Grid spacing (per axis allowed).

    Returns
    -------
    Kernel
        2-D, shape ``(order + 1, order + 1)`` (a cross), centred, sum 0; exact
        on polynomials of degree ``<= order``.

    Raises
    ------
    ValueError
        Non-finite angle, bad order or spacing.

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.kernels import directional_derivative
    >>> directional_derivative(np.pi / 4).weights.round(4)
    array([[ 0.    ,  0.3536,  0.    ],
           [ 0.3536,  0.    , -0.3536],
           [ 0.    , -0.3536,  0.    ]])
    """
    angle, _ = strip(angle, "angle", "rad")
    a = check_scalar("angle", angle)
    gx = gradient(2, 0, order=order, spacing=spacing)
    gy = gradient(2, 1, order=order, spacing=spacing)
    k = math.cos(a) * gx + math.sin(a) * gy
    return Kernel(k, name=f"directional_derivative({a:g})")


def unsharp_mask(sigma, amount, *, ndim=None, truncate=4.0, mode="sample", spacing=None):
    """Unsharp-masking kernel ``delta + amount * (delta - gaussian(sigma))``.

    Parameters
    ----------
    sigma : float or sequence or Quantity
        Width of the Gaussian blur (see :func:`gaussian`).
    amount : float
        Strength of the sharpening (0 is the identity; negative blurs).
    ndim, truncate, mode, spacing
        As in :func:`gaussian`.

    Returns
    -------
    Kernel
        Same shape as the Gaussian, centred, sum 1 (so constants pass
        unchanged); symbol ``1 + amount (1 - G(k))``.

    Raises
    ------
    ValueError
        Non-finite amount; bad Gaussian parameters.
    TypeError
        Non-real amount.

    Examples
    --------
    >>> from fieldconv.kernels import unsharp_mask
    >>> unsharp_mask(1.0, 1.0, truncate=1.0).weights.round(4)
    array([-0.2741,  1.5481, -0.2741])
    """
    amount = check_scalar("amount", amount)
    g = gaussian(sigma, ndim=ndim, truncate=truncate, mode=mode, spacing=spacing)
    delta = np.zeros(g.shape)
    delta[g.origin] = 1.0
    w = (1.0 + amount) * delta - amount * g.weights
    return Kernel(w, origin=g.origin, spacing=g.spacing, name="unsharp_mask")



def assignment_window(scheme, ndim=1, *, offset=0.0):
    """Mass-assignment window sampled on the grid (NGP, CIC, TSC, PCS).

    The window of order ``p`` (NGP 1, CIC 2, TSC 3, PCS 4) is the ``p``-fold
    self-convolution of the unit box (one cell wide),
    ``W_p = box * box * ... * box`` (the cardinal B-spline of degree
    ``p - 1``): its support is ``p`` cells and its Fourier transform is
    ``sinc(k h / 2)**p``.  This kernel holds ``W_p(j - offset)`` at the grid
    points ``j``: the weights a unit mass at ``offset`` cells from the
    origin node deposits.

    Parameters
    ----------
    scheme : {"ngp", "cic", "tsc", "pcs"}
    ndim : int >= 1, optional
        The N-D window is the product of 1-D windows (separable).
    offset : float or sequence of float, optional
        Position of the mass relative to the origin node, in cells,
        ``-0.5 <= offset < 0.5`` (per axis allowed).  At a generic offset
        the window touches ``p`` nodes (NGP 1, CIC 2, TSC 3, PCS 4 taps);
        at ``offset=0`` the samples at the support's edges vanish, leaving
        NGP ``[1]``, CIC ``[1]``, TSC ``[1/8, 3/4, 1/8]``,
        PCS ``[1/6, 2/3, 1/6]``.

    Returns
    -------
    Kernel
        Sum 1 (partition of unity), separable, origin at the node of the
        mass's cell; zero taps at the edges are trimmed.  At ``offset=0`` the
        symbol is the aliased sum ``sum_n sinc((k h + 2 pi n)/2)**p``, e.g.
        ``1 - sin(k h/2)**2 / 2`` for TSC and ``1 - 2/3 sin(k h/2)**2`` for PCS.

    Raises
    ------
    ValueError
        Unknown scheme, offset outside ``[-0.5, 0.5)``.

    Examples
    --------
    >>> from fieldconv.kernels import assignment_window
    >>> assignment_window("tsc").weights
    array([0.125, 0.75 , 0.125])
    >>> assignment_window("cic", offset=0.25).weights
    array([0.75, 0.25])
    >>> assignment_window("pcs", offset=0.25).shape
    (4,)
    """
    p = scheme_order(scheme)
    ndim = check_int("ndim", ndim, minimum=1)
    offs = (offset,) * ndim if np.ndim(offset) == 0 else tuple(offset)
    if len(offs) != ndim:
        raise ValueError(f"offset must be a scalar or have ndim={ndim} entries; got {len(offs)} entries")
    factors, origin = [], []
    for o in offs:
        o = check_scalar("offset", o)
        if not -0.5 <= o < 0.5:
            raise ValueError(f"offset must satisfy -0.5 <= offset < 0.5 (cells); got {o!r}")
        j = np.arange(-2, 3)
        w = bspline(p, j - o)
        if p == 1:  # NGP: the nearest node takes all the mass (offset -0.5 rounds up)
            w = (j == 0).astype(np.float64)
        nz = np.nonzero(w)[0]
        lo, hi = nz[0], nz[-1]
        factors.append(w[lo : hi + 1])
        origin.append(2 - lo)
    w = functools.reduce(np.multiply.outer, factors)
    return Kernel(w, origin=tuple(origin), name=scheme)


def savgol(window_length, polyorder, deriv=0, delta=1.0, *, pos=None):
    """Savitzky-Golay kernel (least-squares polynomial fit), as a Kernel.

    The same coefficients as :func:`fieldconv.smoothing.savgol_coeffs` and
    :func:`fieldconv.smoothing.savgol_filter` (one builder,
    :mod:`fieldconv._sgcoeffs`; ``scipy.signal.savgol_coeffs`` semantics,
    ``use="conv"``), so ``convolve(x, savgol(W, p), mode=m)`` equals
    ``savgol_filter(x, W, p, mode=m)`` for the non-"interp" modes.

    Parameters
    ----------
    window_length : int
        Number of taps (odd or even, > polyorder).
    polyorder : int
        Degree of the fitted polynomial.
    deriv : int, optional
        Derivative order (0: smoothing).
    delta : float or Quantity, optional
        Sample spacing, for derivatives (negative for a descending axis);
        recorded as the kernel's spacing (``|delta|``).  A Quantity gives the
        kernel the unit ``delta.unit**-deriv``.
    pos : int, optional
        Position in the window of the evaluation point.  Default: the
        middle, ``(window_length - 1) / 2`` as in scipy (for an even window
        the half-sample point, with the kernel's origin at ``window_length //
        2``, where scipy.ndimage puts an even kernel).

    Returns
    -------
    Kernel
        1-D, origin ``window_length - 1 - pos`` (the convolution-order
        reflection of `pos`; ``window_length // 2`` by default), sum 1 for
        ``deriv=0`` and 0 for ``deriv > 0``; exact on polynomials of degree
        ``<= polyorder``.

    Raises
    ------
    ValueError
        ``polyorder >= window_length``, `pos` outside the window, zero or
        non-finite `delta`.
    TypeError
        Non-integer `window_length`, `polyorder`, `deriv` or `pos`.

    Examples
    --------
    >>> from fieldconv.kernels import savgol
    >>> K = savgol(5, 2)
    >>> (K.weights * 35).round(6)
    array([-3., 12., 17., 12., -3.])
    >>> savgol(4, 2).origin
    (2,)
    """
    delta, dunit = strip(delta, "delta")
    window_length, polyorder, deriv = _sgcoeffs.check_window(window_length, polyorder, deriv)
    delta = _sgcoeffs.check_delta(delta)
    if pos is None:
        at, origin = (window_length - 1) / 2.0, window_length // 2
    else:
        pos = check_int("pos", pos)
        if not 0 <= pos < window_length:
            raise ValueError(f"pos must satisfy 0 <= pos < window_length ({window_length}); got {pos}")
        at, origin = float(pos), window_length - 1 - pos
    c = np.array(_sgcoeffs.coeffs_dot(window_length, polyorder, deriv, delta, at)[::-1])
    spacing = abs(delta) if dunit is None else abs(delta) * dunit
    return Kernel(c, origin=origin, spacing=spacing, name=f"savgol({window_length}, {polyorder}, deriv={deriv})",
                  unit=product((dunit, -deriv)) if deriv else None)
