r"""Kernel objects and the standard kernels.

A :class:`Kernel` is a small array of weights (its *impulse response*), the
index of the tap that lands on the output point (its *origin*) and,
optionally, the grid spacing it was built for.  Every function of fieldconv
uses the one convention stated here.

Convention
----------
For a kernel ``K`` with weights ``w = K.weights`` (shape ``n``) and origin
``o = K.origin``, on a field ``f``::

    convolve(f, K)[i]  = sum_j w[j] * f[i - j + o]
    correlate(f, K)[i] = sum_j w[j] * f[i + j - o]

(``i``, ``j``, ``o`` are index tuples).  This is exactly
``scipy.ndimage.convolve(f, w, origin=tuple(o[a] - n[a] // 2))`` and
``scipy.ndimage.correlate(f, w, origin=...)`` with the same shifted origin.
The default origin is ``n // 2`` on every axis, i.e. scipy.ndimage's
``origin=0``.  For an odd size that is the centre.  An even-size kernel has no
centre: its default origin ``n // 2`` is the right-hand one of the two middle
taps, as in scipy.ndimage.  scipy.signal (``fftconvolve(mode="same")``)
puts an even kernel one sample to the other side; fieldconv follows
scipy.ndimage.  Asking for ``origin="center"`` with an even size raises
``ValueError``.

``K.flip()`` has weights ``w[::-1, ...]`` and origin ``n - 1 - o``, so that
``convolve(f, K.flip()) == correlate(f, K)``.

The *symbol* (transfer function) of a kernel on a grid of spacing ``h`` is::

    H(k) = sum_j w[j] * exp(-1j * k . (j - o) h)

so that ``convolve(exp(1j k.x), K) = H(k) exp(1j k.x)`` on a periodic grid,
and ``H`` on the FFT grid equals ``numpy.fft.fftn`` of the kernel's response
to a unit impulse at index 0 (NumPy's sign convention).  A kernel that is
symmetric about its origin has a real symbol.

Stencil weights include the grid spacing: ``laplacian(2, spacing=h)``
already carries the ``1/h**2``, so ``convolve(f, K)`` *is* the Laplacian.

Normalisation of the constructors
---------------------------------
===========================  ===========================================
constructor                  sum of the weights
===========================  ===========================================
box, gaussian,               1 (smoothing kernels; ``noise_gain`` < 1)
assignment_window,
unsharp_mask, savgol(deriv=0)
laplacian, gradient,         0 (derivatives; cannot be ``normalized()``)
directional_derivative,
sobel, prewitt, scharr,
savgol(deriv>0)
===========================  ===========================================

Examples
--------
>>> import numpy as np
>>> from fieldconv import kernels
>>> K = kernels.laplacian(1)
>>> K.weights, K.origin
(array([ 1., -2.,  1.]), (1,))
>>> f = np.arange(6.0) ** 2            # f'' = 2
>>> import scipy.ndimage as ndi        # the convention, on scipy.ndimage
>>> ndi.convolve(f, K.weights, origin=K.origin[0] - K.shape[0] // 2)[1:-1]
array([2., 2., 2., 2.])
"""

import functools
import math
import numbers

import numpy as np

from . import _fdcoeffs
from ._units import strip, strip_like
from ._validate import as_spacing, check_choice, check_int, check_positive

__all__ = [
    "Kernel",
    "as_kernel",
    "compose",
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

_EPS = float(np.finfo(np.float64).eps)


# ---------------------------------------------------------------------------- helpers
def _host_weights(weights):
    """float64 NumPy copy of `weights` (an explicit copy for device arrays)."""
    if isinstance(weights, Kernel):
        return np.array(weights.weights, dtype=np.float64)
    from ._units import is_quantity

    if is_quantity(weights):
        raise TypeError(
            "weights must be a plain array, not a Quantity (its unit would be lost): "
            "pass weights.value and give spacing with units"
        )
    if (
        not isinstance(weights, np.ndarray)
        and hasattr(weights, "__array_namespace__")
        and not type(weights).__module__.startswith("numpy")
    ):
        # A device array: kernel weights are a small host table by contract,
        # so this is the one documented, explicit copy to the host.
        from .backend import get_backend

        weights = get_backend(like=weights).to_numpy(weights)
    arr = np.asarray(weights)
    if arr.dtype.kind == "c":
        raise TypeError(f"weights must be real; got dtype {arr.dtype}")
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"weights must have a real numeric dtype; got dtype {arr.dtype}")
    arr = np.array(arr, dtype=np.float64, order="C", copy=True)
    if arr.ndim == 0:
        raise ValueError("weights must have at least one dimension; got a scalar")
    if arr.size == 0:
        raise ValueError(f"weights must not be empty; got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        bad = int(np.count_nonzero(~np.isfinite(arr)))
        raise ValueError(f"weights must be finite; got {bad} NaN/inf value(s)")
    return arr


def _as_origin(origin, shape):
    ndim = len(shape)
    if origin is None:
        return tuple(n // 2 for n in shape)
    if isinstance(origin, str):
        check_choice("origin", origin, ("center", "centre"))
        even = [n for n in shape if n % 2 == 0]
        if even:
            raise ValueError(
                f"origin='center' needs an odd size on every axis (an even kernel has no centre); "
                f"got shape {shape}: pass origin=None for scipy.ndimage's n//2 or an explicit index"
            )
        return tuple(n // 2 for n in shape)
    if np.ndim(origin) == 0:
        origin = (origin,) * ndim
    origin = tuple(check_int("origin", o) for o in origin)
    if len(origin) != ndim:
        raise ValueError(f"origin must have one entry per kernel axis ({ndim}); got {len(origin)} entries")
    for a, (o, n) in enumerate(zip(origin, shape)):
        if not 0 <= o < n:
            raise ValueError(f"origin[{a}] must satisfy 0 <= origin < {n} (the kernel size); got {o}")
    return origin


def _as_kernel_spacing(spacing, ndim):
    if spacing is None:
        return None, None
    spacing, unit = strip(spacing, "spacing")
    return as_spacing(spacing, ndim), unit


def _check_scalar(name, value):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Real, np.floating, np.integer)):
        if isinstance(value, (numbers.Complex, np.complexfloating)):
            raise TypeError(f"{name} must be a real number; got {value!r}")
        raise TypeError(f"{name} must be a real number; got {type(value).__name__}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite; got {value!r}")
    return value


def _merge_spacing(a, b, what):
    """Spacing (with its unit, if any) of the result of combining kernels a and b."""
    if a.spacing is None:
        return None if b.spacing is None else _attach_spacing(b.spacing, b.spacing_unit)
    if b.spacing is None or (
        a.spacing_unit == b.spacing_unit and np.allclose(a.spacing, b.spacing, rtol=4 * _EPS, atol=0)
    ):
        return _attach_spacing(a.spacing, a.spacing_unit)
    raise ValueError(f"{what}: the kernels were built for different spacings; got {a.spacing} and {b.spacing}")


def as_kernel(kernel):
    """A :class:`Kernel` for `kernel` (returned as is) or a plain array.

    Parameters
    ----------
    kernel : Kernel or array_like
        A plain array becomes ``Kernel(kernel)`` with the default origin
        ``n // 2`` per axis.

    Returns
    -------
    Kernel

    Examples
    --------
    >>> from fieldconv.kernels import as_kernel
    >>> as_kernel([1.0, 2.0, 1.0]).origin
    (1,)
    """
    return kernel if isinstance(kernel, Kernel) else Kernel(kernel)


# ----------------------------------------------------------------------------- Kernel
class Kernel:
    """Weights, origin and spacing of a convolution kernel.

    Parameters
    ----------
    weights : array_like or Kernel, real, shape (n_0, ..., n_{d-1}), d >= 1
        Impulse response in convolution sense (see the module docstring).
        A Kernel is copied with its origin, spacing and name unless they
        are given.
        Copied to a read-only, C-contiguous float64 NumPy array (a device
        array is copied to the host explicitly: kernels are small tables).
    origin : None, "center" or int or sequence of int, optional
        Index in `weights` of the tap that lands on the output point;
        ``0 <= origin[a] < n_a``.  Default ``n // 2`` per axis (scipy.ndimage's
        ``origin=0``).  ``"center"`` is the same but requires odd sizes.  An
        int applies to every axis.
    spacing : float or sequence of float or Quantity, optional
        Grid spacing per axis the weights were built for (None: grid units).
        A Quantity is stripped; its unit is kept in ``spacing_unit``.
    name : str, optional
        Label used in ``repr``.

    Attributes
    ----------
    weights : ndarray, float64, read-only
    origin : tuple of int
    spacing : tuple of float or None
    spacing_unit : astropy unit or None
    name : str or None
    ndim, shape, size : int, tuple, int

    Raises
    ------
    TypeError
        Complex, non-numeric or Quantity weights; non-integer origin.
    ValueError
        Empty or 0-d weights, NaN/inf weights, origin of the wrong length or
        out of range, ``origin="center"`` with an even size, non-positive
        spacing.

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.kernels import Kernel
    >>> K = Kernel([1.0, 2.0, 3.0, 4.0])
    >>> K
    Kernel(shape=(4,), origin=(2,))
    >>> K.flip().weights, K.flip().origin
    (array([4., 3., 2., 1.]), (1,))
    >>> Kernel([1.0, 1.0], origin="center")
    Traceback (most recent call last):
    ...
    ValueError: origin='center' needs an odd size on every axis ...
    """

    __array_ufunc__ = None  # NumPy scalars defer to Kernel.__rmul__

    def __init__(self, weights, *, origin=None, spacing=None, name=None):
        if isinstance(weights, Kernel):  # a copy keeps what is not overridden
            origin = weights.origin if origin is None else origin
            if spacing is None and weights.spacing is not None:
                spacing = _attach_spacing(weights.spacing, weights.spacing_unit)
            name = weights.name if name is None else name
        w = _host_weights(weights)
        w.flags.writeable = False
        self._weights = w
        self._origin = _as_origin(origin, w.shape)
        self._spacing, self._spacing_unit = _as_kernel_spacing(spacing, w.ndim)
        if name is not None and not isinstance(name, str):
            raise TypeError(f"name must be a string; got {type(name).__name__}")
        self._name = name
        self._sep_cache = {}

    # ------------------------------------------------------------------ attributes
    @property
    def weights(self):
        """Read-only float64 impulse response (convolution sense)."""
        return self._weights

    @property
    def origin(self):
        """Index of the tap that lands on the output point."""
        return self._origin

    @property
    def spacing(self):
        """Grid spacing per axis the kernel was built for, or None."""
        return self._spacing

    @property
    def spacing_unit(self):
        """Unit of `spacing` when it was given as a Quantity, else None."""
        return self._spacing_unit

    @property
    def name(self):
        """Label of the kernel (or None)."""
        return self._name

    @property
    def ndim(self):
        """Number of kernel axes."""
        return self._weights.ndim

    @property
    def shape(self):
        """Shape of `weights`."""
        return self._weights.shape

    @property
    def size(self):
        """Number of taps."""
        return self._weights.size

    def __repr__(self):
        parts = []
        if self._name is not None:
            parts.append(f"name={self._name!r}")
        parts.append(f"shape={self.shape}")
        parts.append(f"origin={self.origin}")
        if self._spacing is not None:
            parts.append(f"spacing={self._spacing}")
        return f"Kernel({', '.join(parts)})"

    def _replace(self, weights, origin, *, spacing="same", name="same"):
        if isinstance(spacing, str) and spacing == "same":
            spacing = None if self._spacing is None else _attach_spacing(self._spacing, self._spacing_unit)
        return Kernel(
            weights,
            origin=origin,
            spacing=spacing,
            name=self._name if isinstance(name, str) and name == "same" else name,
        )

    # ------------------------------------------------------------------ algebra
    def flip(self):
        """Kernel reversed on every axis: ``convolve(f, K.flip()) == correlate(f, K)``.

        Returns
        -------
        Kernel
            Weights ``w[::-1, ...]`` and origin ``n - 1 - origin``.

        Examples
        --------
        >>> from fieldconv.kernels import gradient
        >>> gradient(1, 0).flip().weights
        array([-0.5,  0. ,  0.5])
        """
        w = self._weights[(slice(None, None, -1),) * self.ndim]
        origin = tuple(n - 1 - o for n, o in zip(self.shape, self.origin))
        return self._replace(w, origin)

    def normalized(self):
        """Kernel scaled so its weights sum to 1.

        Returns
        -------
        Kernel

        Raises
        ------
        ValueError
            If the weights sum to zero (within the rounding of the sum,
            ``size * eps * sum|w|``), as for any derivative kernel.

        Examples
        --------
        >>> from fieldconv.kernels import Kernel, laplacian
        >>> Kernel([1.0, 2.0, 1.0]).normalized().weights
        array([0.25, 0.5 , 0.25])
        >>> laplacian(2).normalized()
        Traceback (most recent call last):
        ...
        ValueError: kernel cannot be normalised: its weights sum to zero ...
        """
        w = self._weights
        total = math.fsum(w.ravel())
        # fsum is exact for the stored floats; the stored weights themselves
        # carry up to eps/2 relative rounding each, so a sum below
        # size * eps * sum|w| is indistinguishable from zero.
        if abs(total) <= self.size * _EPS * float(np.sum(np.abs(w))):
            raise ValueError(
                f"kernel cannot be normalised: its weights sum to zero (sum = {total:.3g}); "
                "derivative kernels such as a Laplacian or a gradient have zero sum"
            )
        return self._replace(w / total, self.origin)

    def __matmul__(self, other):
        if not isinstance(other, (Kernel, np.ndarray, list, tuple)):
            return NotImplemented
        return compose(self, other)

    def __rmatmul__(self, other):
        if not isinstance(other, (np.ndarray, list, tuple)):
            return NotImplemented
        return compose(other, self)

    def _aligned(self, other, what):
        other = as_kernel(other)
        if other.ndim != self.ndim:
            raise ValueError(f"{what} needs kernels with the same ndim; got {self.ndim} and {other.ndim}")
        origin = tuple(max(a, b) for a, b in zip(self.origin, other.origin))
        shape = tuple(
            o + max(n1 - o1, n2 - o2)
            for o, n1, o1, n2, o2 in zip(origin, self.shape, self.origin, other.shape, other.origin)
        )
        out = []
        for k in (self, other):
            w = np.zeros(shape)
            sl = tuple(slice(o - ok, o - ok + n) for o, ok, n in zip(origin, k.origin, k.shape))
            w[sl] = k.weights
            out.append(w)
        return out[0], out[1], origin, _merge_spacing(self, other, what)

    def __add__(self, other):
        if not isinstance(other, (Kernel, np.ndarray, list, tuple)):
            return NotImplemented
        a, b, origin, spacing = self._aligned(other, "kernel addition")
        return Kernel(a + b, origin=origin, spacing=spacing)

    def __radd__(self, other):
        if not isinstance(other, (np.ndarray, list, tuple)):
            return NotImplemented
        return as_kernel(other) + self

    def __sub__(self, other):
        if not isinstance(other, (Kernel, np.ndarray, list, tuple)):
            return NotImplemented
        a, b, origin, spacing = self._aligned(other, "kernel subtraction")
        return Kernel(a - b, origin=origin, spacing=spacing)

    def __rsub__(self, other):
        if not isinstance(other, (np.ndarray, list, tuple)):
            return NotImplemented
        return as_kernel(other) - self

    def __mul__(self, other):
        if isinstance(other, Kernel):
            raise TypeError("Kernel * Kernel is not defined: use K1 @ K2 (or compose) to convolve kernels")
        if isinstance(other, (np.ndarray, list, tuple)):
            raise TypeError("a Kernel can only be multiplied by a real scalar; use K1 @ K2 to convolve kernels")
        return self._replace(self._weights * _check_scalar("scalar factor", other), self.origin)

    __rmul__ = __mul__

    def __truediv__(self, other):
        value = _check_scalar("divisor", other)
        if value == 0:
            raise ValueError("divisor must be non-zero; got 0")
        return self._replace(self._weights / value, self.origin)

    def __neg__(self):
        return self._replace(-self._weights, self.origin)

    def __pos__(self):
        return self

    # ----------------------------------------------------------------- properties
    @property
    def noise_gain(self):
        """Variance amplification of white noise: ``sum(w**2)``.

        Examples
        --------
        >>> from fieldconv.kernels import box
        >>> box(4).noise_gain
        0.25
        """
        return float(np.sum(self._weights**2))

    @property
    def is_separable(self):
        """True when :meth:`separable_factors` (default tolerance) is not None."""
        return self.separable_factors() is not None

    def separable_factors(self, tol=None):
        """Rank-1 factorisation ``weights = f_0 ⊗ f_1 ⊗ ... ⊗ f_{d-1}``.

        Parameters
        ----------
        tol : float, optional
            Largest acceptable Frobenius norm of ``weights - outer(factors)``.
            Default ``4 * (max(m, n) + d) * eps * ||w||_F``, where ``m x n`` is
            the largest unfolding (see Notes).

        Returns
        -------
        list of ndarray or None
            ``d`` 1-D float64 arrays (lengths ``shape``), or None if the
            weights are not rank-1 within `tol`.  When every factor has a
            non-zero sum and the kernel sum ``S`` is positive, each factor sums
            to ``S**(1/d)`` (so the factors of a normalised Gaussian or box are
            the normalised 1-D kernels); otherwise factors ``1..d-1`` have a
            positive largest entry and smallest significant ``|entry|`` 1, and
            the first factor carries the scale and the sign (Sobel gives
            ``[1, 0, -1]`` and ``[1, 2, 1]``).

        Notes
        -----
        The test is successive rank-1 truncation of the unfoldings (a
        sequentially truncated higher-order SVD): unfold the tensor along its
        first axis, take the SVD, reject if the tail singular values exceed
        `tol`, keep ``s_0 v_0`` as the remaining tensor and recurse; in 2-D
        this is the plain SVD rank test.  Finally the outer product is
        compared with the weights.

        Default tolerance: an exactly separable kernel stored in float64 has
        entries that are products of ``d`` rounded numbers, a perturbation of
        norm ``<= (d - 1) eps/2 ||w||_F``; LAPACK's SVD is backward stable
        with error ``<= c max(m, n) eps ||w||_2`` (``c`` of order 1); the
        reconstruction adds ``(d - 1) eps/2 ||w||_F``.  ``4 (max(m, n) + d)
        eps ||w||_F`` bounds the sum with margin, and is still ~1e-13 of the
        norm, far below the second singular value of any genuinely
        non-separable stencil (e.g. ``0.5 ||w||`` for the 2-D Laplacian).

        Examples
        --------
        >>> from fieldconv.kernels import gaussian, laplacian, sobel
        >>> f0, f1 = sobel(0).separable_factors()
        >>> f0, f1
        (array([ 1.,  0., -1.]), array([1., 2., 1.]))
        >>> laplacian(2).separable_factors() is None
        True
        """
        key = None if tol is None else float(tol)
        if key in self._sep_cache:
            f = self._sep_cache[key]
            return None if f is None else [x.copy() for x in f]
        w = self._weights
        d = w.ndim
        wnorm = float(np.linalg.norm(w.ravel()))
        if tol is None:
            # rounding of an exactly rank-1 table ((d-1) eps/2 ||w||), SVD backward error
            # (~max(m, n) eps ||w||) and reconstruction ((d-1) eps/2 ||w||): see Notes
            big = max(max(w.shape), w.size // min(w.shape)) if d > 1 else w.shape[0]
            tol = 4.0 * (big + d) * _EPS * wnorm
        else:
            tol = float(tol)
            if not tol >= 0 or not math.isfinite(tol):
                raise ValueError(f"tol must be finite and >= 0; got {tol!r}")
        factors = _rank1_factors(w, tol)
        if factors is not None:
            # two candidates with the same rank-1 verdict: the SVD factors and the cross
            # factors through the largest entry (exact when w is exactly rank-1); keep the
            # one that reproduces w best after the canonical scaling
            best, best_err = None, math.inf
            for cand in (_pivot_factors(w), factors):
                cand = _balance_factors(cand, w)
                err = float(np.linalg.norm((functools.reduce(np.multiply.outer, cand) - w).ravel()))
                if err < best_err:
                    best, best_err = cand, err
            factors = best if best_err <= tol else None
        self._sep_cache[key] = factors
        return None if factors is None else [x.copy() for x in factors]

    # ------------------------------------------------------------------ Fourier
    def _phase_tables(self, shape, rfft):
        """Per-axis host tables E_a[m, j] = exp(-2 pi i m (j - o) / n), exact phases."""
        tables = []
        d = self.ndim
        for a, (n, nk, o) in enumerate(zip(shape, self.shape, self.origin)):
            m = np.arange(n // 2 + 1 if (rfft and a == d - 1) else n, dtype=np.int64)
            r = np.outer(m, np.arange(nk, dtype=np.int64) - o) % n
            r = np.where(2 * r > n, r - n, r)  # residue in (-n/2, n/2]: sin(-x) = -sin(x) exactly
            theta = 2.0 * np.pi * r / n
            c, s = np.cos(theta), np.sin(theta)
            # exact values on the quarter points (sin(pi) is 1.2e-16 in floating point)
            c = np.where(2 * r == n, -1.0, c)
            s = np.where(2 * r == n, 0.0, s)
            q = 4 * r == n
            c, s = np.where(q, 0.0, c), np.where(q, 1.0, s)
            q = 4 * r == -n
            c, s = np.where(q, 0.0, c), np.where(q, -1.0, s)
            tables.append(c - 1j * s)
        return tables

    def _point_symmetric(self):
        w = self._weights
        centred = all(n % 2 == 1 and o == n // 2 for n, o in zip(self.shape, self.origin))
        return centred and np.array_equal(w, w[(slice(None, None, -1),) * self.ndim])

    def transfer_function(self, shape, spacing=None, *, rfft=True, backend=None, dtype=None):
        """Symbol of the kernel on the FFT grid of `shape`.

        Parameters
        ----------
        shape : sequence of int, length ``ndim``
            Periodic grid the kernel acts on.
        spacing : float or sequence of float or Quantity, optional
            Grid spacing, checked against the kernel's own spacing if both are
            given.  The symbol on the FFT grid does not depend on it: the
            phase ``k (j - o) h = 2 pi m (j - o) / n``.
        rfft : bool, optional
            True (default): the ``rfftn`` layout, last axis ``n // 2 + 1``
            long; False: the full ``fftn`` layout.
        backend : str or Backend, optional
            Where the result lives (default: the current default backend).
        dtype : {None, complex128, complex64, float64, float32}, optional
            Output precision: complex128 (default) or complex64 (also for
            ``float32``).  Computed in complex128 and cast.

        Returns
        -------
        array, complex, shape ``shape`` (rfft: last axis ``n//2 + 1``)
            ``H[m] = sum_j w[j] exp(-2 pi i sum_a m_a (j_a - o_a) / n_a)``, on
            the backend's device; equal to ``fftn`` of the response to a unit
            impulse at index 0, i.e. of :meth:`to_fft_array`.

        Raises
        ------
        ValueError
            If ``len(shape) != ndim``, a grid size is < 1, or `spacing`
            disagrees with the kernel's spacing.
        TypeError
            If `dtype` is not one of the listed types.

        Notes
        -----
        The phase is evaluated as ``2 pi r / n`` with the integer residue
        ``r = m (j - o) mod n`` taken in ``(-n/2, n/2]`` and exact values at the
        quarter points, so it is exact to rounding for any ``n``; the
        contraction is separable, one small host table per axis moved to the
        device explicitly and contracted with ``xp.tensordot``.  For a kernel
        symmetric about a centred origin the imaginary part is set to exactly
        zero (it is zero analytically).  A kernel longer than the grid wraps
        around (its symbol is still exact: the taps alias).

        Examples
        --------
        >>> from fieldconv.kernels import laplacian
        >>> H = laplacian(1).transfer_function((8,), backend="numpy")
        >>> H.real                     # -4 sin^2(pi m / 8)
        array([ 0.        , -0.58578644, -2.        , -3.41421356, -4.        ])
        >>> float(abs(H.imag).max())
        0.0
        """
        from .backend import get_backend

        shape = tuple(check_int("shape", n, minimum=1) for n in shape)
        if len(shape) != self.ndim:
            raise ValueError(f"shape must have one entry per kernel axis ({self.ndim}); got {len(shape)} entries")
        self._check_grid_spacing(spacing)
        out_dt = _complex_out(dtype)
        be = get_backend(backend)
        xp = be.xp
        tables = self._phase_tables(shape, rfft)
        h = be.asarray(self._weights.astype(np.complex128), copy=True)
        for e in tables:
            # contract the leading kernel axis; the new frequency axis goes last
            h = xp.tensordot(h, be.asarray(e, copy=True), axes=((0,), (1,)))
        if self._point_symmetric():
            h = xp.astype(xp.real(h), be.dtype(np.complex128))
        if out_dt != np.complex128:
            h = xp.astype(h, be.dtype(out_dt))
        return h

    def _check_grid_spacing(self, spacing):
        if spacing is None:
            return
        value, unit = strip(spacing, "spacing", self._spacing_unit) if self._spacing_unit else strip(spacing, "spacing")
        value = as_spacing(value, self.ndim)
        if self._spacing is not None and not np.allclose(value, self._spacing, rtol=1e-12, atol=0):
            raise ValueError(
                f"spacing must match the spacing the kernel was built for ({self._spacing}); got {value}"
            )

    def to_fft_array(self, shape, *, backend=None, dtype=np.float64):
        """The kernel wrapped onto a periodic grid with its origin at index 0.

        ``A[(j - origin) mod shape] += w[j]``: the response of the kernel to a
        unit impulse at index 0 under periodic convolution, so
        ``fftn(A) == transfer_function(shape, rfft=False)``.

        Parameters
        ----------
        shape : sequence of int, length ``ndim``
        backend : str or Backend, optional
        dtype : {float64, float32}, optional

        Returns
        -------
        array, real, shape `shape`, on the backend's device

        Raises
        ------
        ValueError
            If ``len(shape) != ndim`` or a size is < 1.

        Examples
        --------
        >>> from fieldconv.kernels import Kernel
        >>> Kernel([1.0, 2.0, 3.0]).to_fft_array((5,), backend="numpy")
        array([2., 3., 0., 0., 1.])
        """
        from ._dtypes import result_dtype
        from .backend import get_backend

        shape = tuple(check_int("shape", n, minimum=1) for n in shape)
        if len(shape) != self.ndim:
            raise ValueError(f"shape must have one entry per kernel axis ({self.ndim}); got {len(shape)} entries")
        dt = result_dtype(dtype, name="dtype")
        a = np.zeros(shape)
        idx = np.indices(self.shape).reshape(self.ndim, -1)
        pos = tuple((idx[ax] - self.origin[ax]) % shape[ax] for ax in range(self.ndim))
        np.add.at(a, pos, self._weights.ravel())
        be = get_backend(backend)
        return be.asarray(a.astype(dt), copy=True)


def _complex_out(dtype):
    if dtype is None:
        return np.dtype(np.complex128)
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"dtype must be complex128, complex64, float64 or float32; got {dtype!r}") from None
    if dt in (np.complex64, np.float32):
        return np.dtype(np.complex64)
    if dt in (np.complex128, np.float64):
        return np.dtype(np.complex128)
    raise TypeError(f"dtype must be complex128, complex64, float64 or float32; got {dt}")


def _rank1_factors(w, tol):
    """Successive rank-1 truncation of the unfoldings; None when a tail exceeds tol."""
    d = w.ndim
    if d == 1:
        return [w.copy()]
    rest = w
    factors = []
    for _ in range(d - 1):
        m = rest.reshape(rest.shape[0], -1)
        u, s, vt = np.linalg.svd(m, full_matrices=False)
        tail = float(np.sqrt(np.sum(s[1:] ** 2)))
        if tail > tol:
            return None
        factors.append(u[:, 0].copy())
        rest = (s[0] * vt[0]).reshape(rest.shape[1:])
    factors.append(np.array(rest, dtype=np.float64).ravel())
    return factors


def _pivot_factors(w):
    """Cross factorisation through the largest entry: exact for exactly rank-1 tables."""
    p = np.unravel_index(int(np.argmax(np.abs(w))), w.shape)
    piv = w[p]
    if piv == 0:
        return [np.zeros(n) for n in w.shape]
    out = []
    for a in range(w.ndim):
        sl = list(p)
        sl[a] = slice(None)
        f = np.array(w[tuple(sl)], dtype=np.float64)
        out.append(f if a == 0 else f / piv)
    return out


def _balance_factors(factors, w):
    """Scale rank-1 factors to a canonical form (their outer product unchanged)."""
    d = len(factors)
    if d == 1 or any(not np.any(f) for f in factors):
        return [np.array(f, dtype=np.float64) for f in factors] if d == 1 else [np.zeros(n) for n in w.shape]
    factors = [np.array(f, dtype=np.float64) for f in factors]
    total = math.fsum(w.ravel())
    sums = [math.fsum(f) for f in factors]
    big = all(abs(s) > math.sqrt(_EPS) * float(np.sum(np.abs(f))) for s, f in zip(sums, factors))
    if total > 0 and big:
        # each factor sums to total**(1/d): normalised smoothing kernels give normalised factors
        target = total ** (1.0 / d)
        return [f * (target / s) for f, s in zip(factors, sums)]
    # otherwise: factors 1.. have a positive largest entry and smallest significant |entry| 1
    for i in range(1, d):
        f = factors[i]
        a = np.abs(f)
        scale = float(np.min(a[a > math.sqrt(_EPS) * a.max()]))
        if f[int(np.argmax(a))] < 0:
            scale = -scale
        factors[i] = f / scale
        factors[0] = factors[0] * scale
    return factors


def compose(*kernels):
    """Convolution of kernels: one kernel equal to applying them in turn.

    ``convolve(convolve(f, K1), K2) == convolve(f, compose(K1, K2))`` exactly
    under periodic boundaries (``mode="wrap"``), to rounding.  ``K1 @ K2`` is
    the same.

    Parameters
    ----------
    *kernels : Kernel or array_like
        Two or more kernels with the same ``ndim``.

    Returns
    -------
    Kernel
        Weights: the full discrete convolution of the weights (shape
        ``n1 + n2 - 1``), computed directly (exact products, summed in
        float64); origin ``o1 + o2``; spacing that of the operands.

    Raises
    ------
    ValueError
        Fewer than one kernel, different ``ndim`` or different spacings.

    Examples
    --------
    >>> from fieldconv.kernels import box, compose
    >>> T = compose(box(3), box(3)) * 9      # box * box = triangle
    >>> T.weights, T.origin
    (array([1., 2., 3., 2., 1.]), (2,))
    """
    if not kernels:
        raise ValueError("compose needs at least one kernel; got none")
    ks = [as_kernel(k) for k in kernels]
    out = ks[0]
    for k in ks[1:]:
        out = _compose2(out, k)
    return out


def _compose2(a, b):
    if a.ndim != b.ndim:
        raise ValueError(f"compose needs kernels with the same ndim; got {a.ndim} and {b.ndim}")
    spacing = _merge_spacing(a, b, "compose")
    big, small = (a, b) if a.size >= b.size else (b, a)
    shape = tuple(n1 + n2 - 1 for n1, n2 in zip(a.shape, b.shape))
    w = np.zeros(shape)
    for j in zip(*np.nonzero(small.weights)):
        sl = tuple(slice(ji, ji + n) for ji, n in zip(j, big.shape))
        w[sl] += small.weights[j] * big.weights
    origin = tuple(o1 + o2 for o1, o2 in zip(a.origin, b.origin))
    name = f"{a.name} * {b.name}" if a.name and b.name else None
    return Kernel(w, origin=origin, spacing=spacing, name=name)


# ----------------------------------------------------------------------- constructors
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
        spacing, sunit = strip(spacing, "spacing")
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


def _attach_spacing(h, unit):
    if unit is None:
        return h
    from ._units import attach

    return attach(np.asarray(h), unit)


def _star_laplacian(ndim, order, h):
    c = _fdcoeffs.central_difference(2, order)
    r = order // 2
    w = np.zeros((2 * r + 1,) * ndim)
    for a in range(ndim):
        sl = [r] * ndim
        sl[a] = slice(None)
        w[tuple(sl)] += c / h[a] ** 2
    return w


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
    check_choice("order", order, _fdcoeffs.ORDERS)
    spacing, unit = strip(spacing, "spacing")
    h = as_spacing(spacing, ndim)
    star = ndim * order + 1
    compact = {2: (9,), 3: (19, 27)}.get(ndim, ())
    if points is None or (points == star and not (order == 2 and points in compact)):
        w = _star_laplacian(ndim, order, h)
        name = f"laplacian({star}-point)"
    elif points in compact and order == 2:
        if len(set(h)) != 1:
            raise NotImplementedError(
                f"the compact {points}-point Laplacian needs equal spacing on every axis; got spacing={h}: "
                "use the star stencil (points=None) for anisotropic grids"
            )
        w = _fdcoeffs.compact_laplacian(ndim, points) / h[0] ** 2
        name = f"laplacian({points}-point)"
    else:
        choices = sorted({star, *compact}) if order == 2 else [star]
        raise ValueError(
            f"points must be one of {choices} for ndim={ndim}, order={order} "
            f"(compact stencils are order 2); got {points!r}"
        )
    return Kernel(w, spacing=_attach_spacing(h, unit), name=name)


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
    check_choice("order", order, _fdcoeffs.ORDERS)
    spacing, unit = strip(spacing, "spacing")
    h = as_spacing(spacing, ndim)
    c = _fdcoeffs.central_difference(1, order)[::-1] / h[axis]  # correlation -> convolution order
    shape = [1] * ndim
    shape[axis] = c.size
    return Kernel(c.reshape(shape), spacing=_attach_spacing(h, unit), name=f"gradient(axis={axis})")


_EDGE = {"sobel": ([1.0, 2.0, 1.0], 8.0), "prewitt": ([1.0, 1.0, 1.0], 6.0), "scharr": ([3.0, 10.0, 3.0], 32.0)}


def _edge(kind, axis, ndim, normalize):
    ndim = check_int("ndim", ndim, minimum=2)
    axis = check_int("axis", axis)
    if not -ndim <= axis < ndim:
        raise ValueError(f"axis must lie in [-{ndim}, {ndim}); got {axis}")
    axis %= ndim
    smooth, norm = _EDGE[kind]
    factors = [np.array(smooth)] * ndim
    factors[axis] = np.array([1.0, 0.0, -1.0])  # convolution order of correlate weights [-1, 0, 1]
    w = functools.reduce(np.multiply.outer, factors)
    if normalize:
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
    normalize : bool, optional
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


def sobel(axis, *, ndim=2, normalize=False):
    return _edge("sobel", axis, ndim, normalize)


def prewitt(axis, *, ndim=2, normalize=False):
    return _edge("prewitt", axis, ndim, normalize)


def scharr(axis, *, ndim=2, normalize=False):
    return _edge("scharr", axis, ndim, normalize)


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
    >>> scharr(1, normalize=True).weights * 32
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
    angle, aunit = strip(angle, "angle", "rad") if _is_q(angle) else (angle, None)
    a = _check_scalar("angle", angle)
    gx = gradient(2, 0, order=order, spacing=spacing)
    gy = gradient(2, 1, order=order, spacing=spacing)
    k = math.cos(a) * gx + math.sin(a) * gy
    return Kernel(k.weights, origin=k.origin, spacing=gx.spacing, name=f"directional_derivative({a:g})")


def _is_q(x):
    from ._units import is_quantity

    return is_quantity(x)


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
    amount = _check_scalar("amount", amount)
    g = gaussian(sigma, ndim=ndim, truncate=truncate, mode=mode, spacing=spacing)
    delta = np.zeros(g.shape)
    delta[g.origin] = 1.0
    w = (1.0 + amount) * delta - amount * g.weights
    return Kernel(w, origin=g.origin, spacing=g.spacing, name="unsharp_mask")


_SCHEMES = {"ngp": 1, "cic": 2, "tsc": 3, "pcs": 4}


def _bspline(p, x):
    """Continuous p-fold self-convolution of the unit box at x (cardinal B-spline)."""
    x = np.abs(np.asarray(x, dtype=np.float64))
    if p == 1:
        return np.where(x < 0.5, 1.0, np.where(x == 0.5, 0.5, 0.0))
    if p == 2:
        return np.where(x < 1.0, 1.0 - x, 0.0)
    if p == 3:
        return np.where(x < 0.5, 0.75 - x**2, np.where(x < 1.5, 0.5 * (1.5 - x) ** 2, 0.0))
    return np.where(x < 1.0, (4.0 - 6.0 * x**2 + 3.0 * x**3) / 6.0, np.where(x < 2.0, (2.0 - x) ** 3 / 6.0, 0.0))


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
    check_choice("scheme", scheme, tuple(_SCHEMES))
    p = _SCHEMES[scheme]
    ndim = check_int("ndim", ndim, minimum=1)
    offs = (offset,) * ndim if np.ndim(offset) == 0 else tuple(offset)
    if len(offs) != ndim:
        raise ValueError(f"offset must be a scalar or have ndim={ndim} entries; got {len(offs)} entries")
    factors, origin = [], []
    for o in offs:
        o = _check_scalar("offset", o)
        if not -0.5 <= o < 0.5:
            raise ValueError(f"offset must satisfy -0.5 <= offset < 0.5 (cells); got {o!r}")
        j = np.arange(-2, 3)
        w = _bspline(p, j - o)
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

    The coefficients come from :func:`fieldconv.smoothing.savgol_coeffs`
    (``scipy.signal.savgol_coeffs`` semantics, ``use="conv"``).

    Parameters
    ----------
    window_length : int
        Number of taps (odd or even, > polyorder).
    polyorder : int
        Degree of the fitted polynomial.
    deriv : int, optional
        Derivative order (0: smoothing).
    delta : float, optional
        Sample spacing, for derivatives.
    pos : int, optional
        Position in the window of the evaluation point (default the centre,
        ``window_length // 2``).

    Returns
    -------
    Kernel
        1-D, origin ``window_length - 1 - pos`` (the convolution-order
        reflection of `pos`), sum 1 for ``deriv=0`` and 0 for ``deriv > 0``;
        exact on polynomials of degree ``<= polyorder``.

    Raises
    ------
    ImportError
        If :mod:`fieldconv.smoothing` is not available.
    ValueError
        Parameter errors, raised by ``savgol_coeffs``.

    Examples
    --------
    >>> from fieldconv.kernels import savgol
    >>> K = savgol(5, 2)                              # doctest: +SKIP
    >>> (K.weights * 35).round(6)                     # doctest: +SKIP
    array([-3., 12., 17., 12., -3.])
    """
    from .smoothing import savgol_coeffs

    window_length = check_int("window_length", window_length, minimum=1)
    if pos is None:
        pos = window_length // 2
    pos = check_int("pos", pos)
    c = savgol_coeffs(window_length, polyorder, deriv=deriv, delta=delta, pos=pos, use="conv")
    return Kernel(np.asarray(c, dtype=np.float64), origin=window_length - 1 - pos, name="savgol")
