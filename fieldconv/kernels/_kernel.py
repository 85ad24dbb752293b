"""The :class:`Kernel` type: weights, origin, spacing, unit, and its algebra.

See :mod:`fieldconv.kernels` for the convention.  Weight validation (the one
weight validator of the package, also used by the convolution engine for
plain arrays), the symbol on an FFT grid, separable factors (through
:mod:`fieldconv._separable`) and the algebra (``+``, ``-``, scalar ``*``,
``@`` = composition) live here.
"""

import functools
import math
import numbers

import numpy as np

from .._separable import balance_factors, full_factors, pivot_factors
from .._units import attach, is_quantity, product, strip, strip_spacing
from .._validate import as_origin, as_spacing, check_int

__all__ = ["Kernel", "as_kernel", "compose", "host_weights", "check_scalar", "kernel_spacing"]

_EPS = float(np.finfo(np.float64).eps)


# ---------------------------------------------------------------------------- helpers
def host_weights(weights, name="weights"):
    """float64 C-contiguous NumPy copy of `weights`, validated (finite, real, non-empty).

    A device array is copied to the host explicitly: kernel weights are a
    small host table by contract.  Raises ``TypeError`` for complex or
    non-numeric weights and ``ValueError`` for empty, 0-d or non-finite ones,
    naming `name`.
    """
    if isinstance(weights, Kernel):
        return np.array(weights.weights, dtype=np.float64)
    if is_quantity(weights):
        weights = weights.value
    if (
        not isinstance(weights, np.ndarray)
        and hasattr(weights, "__array_namespace__")
        and not type(weights).__module__.startswith("numpy")
    ):
        from ..backend import get_backend

        weights = get_backend(like=weights).to_numpy(weights)
    try:
        arr = np.asarray(weights)
    except Exception as exc:  # pragma: no cover - exotic input
        raise TypeError(f"{name} must be a Kernel or an array of numbers; got {type(weights).__name__}") from exc
    if arr.dtype.kind == "c":
        raise TypeError(f"{name} must be real numbers; got dtype {arr.dtype}")
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must have a real numeric dtype; got dtype {arr.dtype}")
    arr = np.array(arr, dtype=np.float64, order="C", copy=True)
    if arr.ndim == 0:
        raise ValueError(f"{name} must have at least one dimension; got a scalar")
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty; got shape {arr.shape}")
    nbad = int(np.count_nonzero(~np.isfinite(arr)))
    if nbad:
        raise ValueError(f"{name} must be finite; got {nbad} NaN/inf value(s)")
    return arr


def kernel_spacing(spacing, ndim):
    """``(per-axis spacing tuple, unit)`` of a kernel, or ``(None, None)``."""
    if spacing is None:
        return None, None
    spacing, unit = strip_spacing(spacing)
    return as_spacing(spacing, ndim), unit


def check_scalar(name, value):
    """`value` as a finite float; ``TypeError`` for non-real, ``ValueError`` for NaN/inf."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Real, np.floating, np.integer)):
        if isinstance(value, (numbers.Complex, np.complexfloating)):
            raise TypeError(f"{name} must be a real number; got {value!r}")
        raise TypeError(f"{name} must be a real number; got {type(value).__name__}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite; got {value!r}")
    return value


def _attach_spacing(h, unit):
    return h if unit is None else attach(np.asarray(h), unit)


def _merge_spacing(a, b, what):
    """Spacing (with its unit, if any) of the result of combining kernels a and b."""
    if a.spacing is None:
        return None if b.spacing is None else _attach_spacing(b.spacing, b.spacing_unit)
    if b.spacing is None or (
        a.spacing_unit == b.spacing_unit and np.allclose(a.spacing, b.spacing, rtol=4 * _EPS, atol=0)
    ):
        return _attach_spacing(a.spacing, a.spacing_unit)
    raise ValueError(f"{what}: the kernels were built for different spacings; got {a.spacing} and {b.spacing}")


def _merge_unit(a, b, what):
    if a.unit == b.unit or b.unit is None and a.unit is None:
        return a.unit
    if a.unit is not None and b.unit is not None and a.unit.is_equivalent(b.unit):
        if a.unit.to(b.unit) == 1.0:
            return a.unit
    raise ValueError(f"{what} needs kernels with the same weight unit; got {a.unit} and {b.unit}")


def as_kernel(kernel, *, argname="kernel"):
    """A :class:`Kernel` for `kernel` (returned as is) or a plain array.

    Parameters
    ----------
    kernel : Kernel or array_like
        A plain array becomes ``Kernel(kernel)`` with the default origin
        ``n // 2`` per axis.
    argname : str, optional
        Parameter name used in error messages (default "kernel").

    Returns
    -------
    Kernel

    Examples
    --------
    >>> from fieldconv.kernels import as_kernel
    >>> as_kernel([1.0, 2.0, 1.0]).origin
    (1,)
    """
    if isinstance(kernel, Kernel):
        return kernel
    unit = kernel.unit if is_quantity(kernel) else None
    return Kernel(host_weights(kernel, argname), unit=unit)


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
    unit : astropy unit, optional
        Unit of the weights (a Quantity `weights` brings its own).  A
        derivative stencil built with a Quantity spacing carries it
        (``laplacian(1, spacing=0.1 * u.m).unit == 1 / u.m**2``), so that
        ``convolve(f, K)`` has the unit ``f.unit * K.unit``.  None: no unit
        (dimensionless weights).

    Attributes
    ----------
    weights : ndarray, float64, read-only
    origin : tuple of int
    spacing : tuple of float or None
    spacing_unit : astropy unit or None
    unit : astropy unit or None
    name : str or None
    ndim, shape, size : int, tuple, int

    Raises
    ------
    TypeError
        Complex or non-numeric weights; non-integer origin.
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
    ValueError: origin='center' needs an odd size on every kernel axis ...
    """

    __array_ufunc__ = None  # NumPy scalars defer to Kernel.__rmul__

    def __init__(self, weights, *, origin=None, spacing=None, name=None, unit=None):
        if isinstance(weights, Kernel):  # a copy keeps what is not overridden
            origin = weights.origin if origin is None else origin
            if spacing is None and weights.spacing is not None:
                spacing = _attach_spacing(weights.spacing, weights.spacing_unit)
            name = weights.name if name is None else name
            unit = weights.unit if unit is None else unit
        elif is_quantity(weights):
            unit = weights.unit if unit is None else unit
        w = host_weights(weights)
        w.flags.writeable = False
        self._weights = w
        self._origin = as_origin(origin, w.shape)
        self._spacing, self._spacing_unit = kernel_spacing(spacing, w.ndim)
        if name is not None and not isinstance(name, str):
            raise TypeError(f"name must be a string; got {type(name).__name__}")
        self._name = name
        if unit is not None:
            import astropy.units as u

            unit = u.Unit(unit)
            if unit == u.dimensionless_unscaled:
                unit = None
        self._unit = unit
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
    def unit(self):
        """Unit of the weights (None: plain numbers)."""
        return self._unit

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
        if self._unit is not None:
            parts.append(f"unit={self._unit.to_string()!r}")
        return f"Kernel({', '.join(parts)})"

    def _replace(self, weights, origin, *, spacing="same", name="same"):
        if isinstance(spacing, str) and spacing == "same":
            spacing = None if self._spacing is None else _attach_spacing(self._spacing, self._spacing_unit)
        return Kernel(
            weights,
            origin=origin,
            spacing=spacing,
            name=self._name if isinstance(name, str) and name == "same" else name,
            unit=self._unit,
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
        return out[0], out[1], origin, _merge_spacing(self, other, what), _merge_unit(self, other, what)

    def __add__(self, other):
        if not isinstance(other, (Kernel, np.ndarray, list, tuple)):
            return NotImplemented
        a, b, origin, spacing, unit = self._aligned(other, "kernel addition")
        return Kernel(a + b, origin=origin, spacing=spacing, unit=unit)

    def __radd__(self, other):
        if not isinstance(other, (np.ndarray, list, tuple)):
            return NotImplemented
        return as_kernel(other) + self

    def __sub__(self, other):
        if not isinstance(other, (Kernel, np.ndarray, list, tuple)):
            return NotImplemented
        a, b, origin, spacing, unit = self._aligned(other, "kernel subtraction")
        return Kernel(a - b, origin=origin, spacing=spacing, unit=unit)

    def __rsub__(self, other):
        if not isinstance(other, (np.ndarray, list, tuple)):
            return NotImplemented
        return as_kernel(other) - self

    def __mul__(self, other):
        if isinstance(other, Kernel):
            raise TypeError("Kernel * Kernel is not defined: use K1 @ K2 (or compose) to convolve kernels")
        if isinstance(other, (np.ndarray, list, tuple)):
            raise TypeError("a Kernel can only be multiplied by a real scalar; use K1 @ K2 to convolve kernels")
        return self._replace(self._weights * check_scalar("scalar factor", other), self.origin)

    __rmul__ = __mul__

    def __truediv__(self, other):
        value = check_scalar("divisor", other)
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
        factors = full_factors(w, tol)
        if factors is not None:
            # two candidates with the same rank-1 verdict: the SVD factors and the cross
            # factors through the largest entry (exact when w is exactly rank-1); keep the
            # one that reproduces w best after the canonical scaling
            best, best_err = None, math.inf
            for cand in (pivot_factors(w), factors):
                cand = balance_factors(cand, w)
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
        array, complex, shape ``shape`` (rfft: last axis ``n//2 + 1``), unit ``self.unit``
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
        from ..backend import get_backend

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
        return attach(h, self._unit)

    def _check_grid_spacing(self, spacing):
        if spacing is None:
            return
        if self._spacing_unit is not None:
            value = tuple(strip(v, "spacing", self._spacing_unit)[0] for v in np.atleast_1d(spacing))
            value = value[0] if len(value) == 1 else value
        else:
            value = strip_spacing(spacing)[0]
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
        array, real, shape `shape`, on the backend's device, unit ``self.unit``

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
        from .._dtypes import result_dtype
        from ..backend import get_backend

        shape = tuple(check_int("shape", n, minimum=1) for n in shape)
        if len(shape) != self.ndim:
            raise ValueError(f"shape must have one entry per kernel axis ({self.ndim}); got {len(shape)} entries")
        dt = result_dtype(dtype, name="dtype")
        a = np.zeros(shape)
        idx = np.indices(self.shape).reshape(self.ndim, -1)
        pos = tuple((idx[ax] - self.origin[ax]) % shape[ax] for ax in range(self.ndim))
        np.add.at(a, pos, self._weights.ravel())
        be = get_backend(backend)
        return attach(be.asarray(a.astype(dt), copy=True), self._unit)


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
    return Kernel(w, origin=origin, spacing=spacing, name=name, unit=product(a.unit, b.unit))


