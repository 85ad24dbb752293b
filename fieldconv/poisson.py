"""Green's-function Poisson solvers: potentials and forces, periodic and isolated.

Conventions (cell-centred grids, sample ``i`` at ``(i + 1/2) h``; ``k``
angular wavenumber in rad/length):

===========  =====  =========================  =====================================
kernel       ndim   equation                   potential
===========  =====  =========================  =====================================
"newton"     3      lap phi = 4 pi G rho       phi = -G int rho(x') / |x - x'| d^3x'
"newton"     1      phi'' = 4 pi G rho         phi = 2 pi G int rho(x') |x - x'| dx'
"log"        2      lap phi = 2 pi G Sigma     phi = G int Sigma(x') ln|x - x'| d^2x'
"thin-disk"  2      (3-D gravity of a sheet)   phi = -G int Sigma(x') / |x - x'| d^2x'
===========  =====  =========================  =====================================

``"log"`` is two-dimensional gravity (infinite line masses); ``"thin-disk"``
is the in-plane potential of a razor-thin sheet living in 3-D space (what a
galactic-disk model needs); they are different problems.  The default kernel
is ``"newton"`` in 1-D and 3-D and ``"log"`` in 2-D.

Periodic boundary (``bc="periodic"``), Green's functions in Fourier space:

``"continuous"`` (default)
    ``-4 pi G/k^2`` (newton), ``-2 pi G/k^2`` (log), ``-2 pi G/|k|``
    (thin-disk): spectrally exact for band-limited sources.
``"discrete"``
    ``4 pi G / lambda(k)`` (``2 pi G`` for log) with ``lambda`` the exact
    eigenvalue of the order-2/4/6 stencil Laplacian (or compact 9/19/27
    point, ``points=``), so ``stencil.laplacian(phi) == 4 pi G (rho - mean)``
    to round-off.
``"optimal"``
    Hockney & Eastwood's optimal influence function (eq. 8-22) for an
    assignment window ``W(k) = prod_a sinc^p(k_a h_a/2)`` (NGP/CIC/TSC/PCS:
    p = 1..4) used for both assignment and interpolation, and the force
    differencing ``D = i d(k)`` (``differencing="spectral"``: ``d = k`` with the
    Nyquist mode zeroed; ``"fd"``: the central difference of ``order``)::

        G_opt(k) = sum_n W^2(k_n) (d(k) . k_n) G_c(k_n) / (|d(k)|^2 [sum_n W^2(k_n)]^2)

    with ``k_n = k + 2 pi n / h`` summed over ``|n_a| <= images`` in the
    numerator and in closed form in the denominator.

The ``k = 0`` mode is dropped in every periodic solve: the mean of the
source is removed (a periodic potential exists only for zero net mass) and
the returned potential has zero mean.

Isolated boundary (``bc="isolated"``, free space; the source is zero outside
the box): the convolution with the free-space kernel is done exactly on the
doubled grid with

``"spectral"`` (default)
    the Vico-Greengard-Ferrando truncated kernel, spectrally accurate for
    smooth sources, precomputed once on a ``(1 + sqrt(d)) n`` grid;
``"integrated"``
    Hockney-Eastwood zero padding with the cell-integrated kernel: exact for
    sources that are constant on each cell (second order for smooth ones).

Never the ``-1/k^2`` of the doubled grid (that is the periodic solution of
the padded box, not the free-space one).

Forces ``F = -grad phi``: ``differencing="spectral"`` (``-i k phi``, Nyquist
zeroed) or ``"fd"`` (central differences of ``order``), on the same grid.

dtype: the Green's functions are computed in float64 on the host and cast
once to the working dtype (float32 solves keep float32, with float32
round-off, ~1e-7 relative).  ``PoissonSolver`` caches them on the backend so
repeated solves cost one forward and one inverse real FFT.
"""

import math

import numpy as np

from . import _green
from .assign import SCHEMES, _aliasing_sum, window
from ._dtypes import result_dtype
from ._units import attach, strip
from ._validate import as_spacing, check_choice, check_int
from .backend import get_backend
from .stencil import gradient_symbol, laplacian_symbol, _strip_spacing

__all__ = ["PoissonSolver", "solve_poisson", "solve_forces", "smooth_laplacian"]

KERNELS = ("newton", "log", "thin-disk")
PERIODIC_GREENS = ("continuous", "discrete", "optimal")
ISOLATED_GREENS = ("spectral", "integrated")
WINDOWS = SCHEMES  # assignment windows of fieldconv.assign, by name -> order p


def _modes(n, rfft):
    return np.arange(n // 2 + 1) if rfft else np.fft.fftfreq(n, 1.0 / n)


def _kaxis(n, h, rfft):
    return 2.0 * math.pi * _modes(n, rfft) / (n * h)


def _bshape(a, ndim):
    return tuple(-1 if b == a else 1 for b in range(ndim))


class PoissonSolver:
    """Reusable Poisson solver for one grid: the Green's function is cached.

    Parameters
    ----------
    shape : tuple of int
        Grid shape (1, 2 or 3 axes; every axis >= 2).
    spacing : float or sequence of float
        Cell size per axis (code length units).
    bc : {"periodic", "isolated"}
    kernel : {"newton", "log", "thin-disk"}, optional
        Default "newton" in 1-D/3-D, "log" in 2-D (see the module table).
    green : str, optional
        Periodic: "continuous" (default), "discrete", "optimal".
        Isolated: "spectral" (default), "integrated".
    order : {2, 4, 6}
        Stencil order of ``green="discrete"`` and of ``differencing="fd"``.
    points : int, optional
        Compact Laplacian (9, 19, 27) for ``green="discrete"``.
    window : {"ngp", "cic", "tsc", "pcs"}
        Assignment window of ``green="optimal"``.
    differencing : {"spectral", "fd"}
        How :meth:`forces` differentiates (and what "optimal" optimises for).
    images : int
        Alias images per axis in the optimal influence function.
    G : float
        Gravitational constant in code units.
    dtype : {float32, float64}
        Working dtype; float16 is refused for isolated solves.
    backend : str or Backend, optional

    Attributes
    ----------
    shape, spacing, ndim, bc, kernel, green, dtype, backend

    Raises
    ------
    ValueError
        Bad shape, spacing, choice, or a kernel that does not exist in this
        dimension.
    NotImplementedError
        A valid but unsupported combination (e.g. "discrete" thin-disk).
    TypeError
        float16 with ``bc="isolated"``, or a complex dtype.

    Notes
    -----
    A solver holds scratch buffers and is not thread-safe; use one per thread.

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.poisson import PoissonSolver
    >>> n = 16
    >>> x = (np.arange(n) + 0.5) * (2 * np.pi / n)
    >>> solver = PoissonSolver((n,), 2 * np.pi / n, G=1.0, backend="numpy")
    >>> phi = solver.solve(np.cos(2 * x))
    >>> bool(np.allclose(phi, -4 * np.pi * np.cos(2 * x) / 4))
    True
    """

    def __init__(
        self,
        shape,
        spacing=1.0,
        *,
        bc="periodic",
        kernel=None,
        green=None,
        order=2,
        points=None,
        window="cic",
        differencing="spectral",
        images=2,
        G=1.0,
        dtype=np.float64,
        backend=None,
    ):
        if np.ndim(shape) != 1:
            raise ValueError(f"shape must be a sequence of ints; got {shape!r}")
        self.shape = tuple(check_int("shape", n, minimum=2) for n in shape)
        self.ndim = len(self.shape)
        if not 1 <= self.ndim <= 3:
            raise ValueError(f"shape must have 1, 2 or 3 axes; got {self.shape}")
        self.spacing = as_spacing(spacing, self.ndim)
        self.bc = check_choice("bc", bc, ("periodic", "isolated"))
        if kernel is None:
            kernel = "log" if self.ndim == 2 else "newton"
        self.kernel = check_choice("kernel", kernel, KERNELS)
        if (self.kernel == "newton") == (self.ndim == 2):
            allowed = "'log' or 'thin-disk'" if self.ndim == 2 else "'newton'"
            raise ValueError(f"kernel must be {allowed} for a {self.ndim}-D grid; got {kernel!r}")
        greens = PERIODIC_GREENS if self.bc == "periodic" else ISOLATED_GREENS
        self.green = check_choice("green", greens[0] if green is None else green, greens)
        if isinstance(order, bool) or order not in (2, 4, 6):
            raise ValueError(f"order must be one of 2, 4, 6; got {order!r}")
        self.order = int(order)
        self.points = points
        self.window = check_choice("window", window, tuple(WINDOWS))
        self.differencing = check_choice("differencing", differencing, ("spectral", "fd"))
        self.images = check_int("images", images, minimum=0)
        self.G = float(G)
        if not math.isfinite(self.G):
            raise ValueError(f"G must be finite; got {G!r}")
        dt = np.dtype(dtype)
        if self.bc == "isolated" and dt == np.float16:
            raise TypeError(
                "dtype float16 is not supported for an isolated solve (its range cannot hold the "
                "doubled-grid convolution); cast the source to float32"
            )
        self.dtype = result_dtype(dt, name="dtype")
        if self.kernel == "thin-disk" and self.green == "discrete":
            raise NotImplementedError("green='discrete' has no stencil for the thin-disk kernel; use 'continuous'")
        if self.bc == "isolated" and self.green == "integrated" and self.differencing == "spectral":
            self.differencing = "fd"  # the integrated kernel is not band-limited: forces by central differences
        self.backend = get_backend(backend)
        if self.bc == "periodic":
            self.fft_shape = self.shape
        else:
            self.fft_shape = tuple(2 * n for n in self.shape)
        self._green_hat = None
        self._force_hat = None
        self._pad = None
        self._buffers = {}

    # ----------------------------------------------------------------- greens
    def _green_host(self):
        """The Green's function in rfft layout, float64 host array (G included)."""
        shape, h, nd = self.shape, self.spacing, self.ndim
        if self.bc == "isolated":
            return self.G * _green.isolated_kernel_hat(self.kernel, shape, h, self.green)
        ks = [_kaxis(n, hh, a == nd - 1).reshape(_bshape(a, nd)) for a, (n, hh) in enumerate(zip(shape, h))]
        k2 = sum(k * k for k in ks)
        if self.green == "continuous":
            return self.G * _green.continuous_green(self.kernel, k2)
        if self.green == "discrete":
            lam = laplacian_symbol(shape, h, order=self.order, points=self.points, rfft=True)
            c = 4.0 * math.pi if self.kernel == "newton" else 2.0 * math.pi
            with np.errstate(divide="ignore"):
                g = np.where(lam != 0, c / lam, 0.0)
            g.flat[0] = 0.0
            return self.G * g
        return self.G * self._optimal(ks)

    def _dsym(self, a, rfft):
        n, h = self.shape[a], self.spacing[a]
        return gradient_symbol(n, h, order=self.order, rfft=rfft, spectral=self.differencing == "spectral")

    def _optimal(self, ks):
        nd, p = self.ndim, WINDOWS[self.window]
        d = [self._dsym(a, a == nd - 1).reshape(_bshape(a, nd)) for a in range(nd)]
        d2 = sum(x * x for x in d)
        den = 1.0
        for a, k in enumerate(ks):
            den = den * _aliasing_sum(k * self.spacing[a] / 2.0, p)
        num = 0.0
        for img in np.ndindex((2 * self.images + 1,) * nd):
            kn = [k + 2.0 * math.pi * (i - self.images) / h for k, i, h in zip(ks, img, self.spacing)]
            w2 = window(tuple(kn), self.window, self.spacing) ** 2
            kn2 = sum(k * k for k in kn)
            num = num + w2 * sum(da * ka for da, ka in zip(d, kn)) * _green.continuous_green(self.kernel, kn2)
        with np.errstate(divide="ignore", invalid="ignore"):
            g = np.where(d2 > 0, num / (d2 * den * den), 0.0)
        g.flat[0] = 0.0
        return g

    def _cached_green(self):
        if self._green_hat is None:
            be = self.backend
            # the 1/N of the inverse FFT is folded in: irfftn runs with norm="forward" (no scaling pass)
            g = self._green_host() / math.prod(self.fft_shape)
            self._green_hat = be.xp.astype(be.asarray(g, copy=True), be.dtype(self.dtype))
        return self._green_hat

    def _cached_forces(self):
        if self._force_hat is None:
            be, nd = self.backend, self.ndim
            cdt = np.complex64 if self.dtype == np.float32 else np.complex128
            hats = []
            for a in range(nd):
                if self.bc == "isolated":
                    m = self.G * _green.isolated_kernel_hat(
                        self.kernel, self.shape, self.spacing, self.green, a,
                        None if self.differencing == "spectral" else self.order,
                    ) / math.prod(self.fft_shape)
                else:
                    # F_a = -i d_a(k) phi_hat, as a 1-D factor on axis a (host complex)
                    m = (-1j * self._dsym(a, a == nd - 1)).reshape(_bshape(a, nd))
                hats.append(be.asarray(m.astype(cdt), copy=True))
            self._force_hat = hats
        return self._force_hat

    # ----------------------------------------------------------------- solves
    def _check_source(self, source):
        be = self.backend
        src = be.asarray(source)
        if tuple(src.shape) != self.shape:
            raise ValueError(f"source must have shape {self.shape}; got {tuple(src.shape)}")
        result_dtype(src.dtype, name="source")  # TypeError for complex / non-numeric sources
        if self.bc == "isolated" and str(src.dtype).endswith("float16"):
            raise TypeError("source dtype float16 is not supported for an isolated solve; cast it to float32")
        if src.dtype != be.dtype(self.dtype):
            src = be.xp.astype(src, be.dtype(self.dtype))  # the solver's working dtype
        return src

    def _check_finite(self, src, X):
        """NaN/inf anywhere in the source makes the k = 0 mode (the sum) non-finite: a free check."""
        xp = self.backend.xp
        if bool(xp.isfinite(X[(0,) * self.ndim])):
            return
        if bool(xp.all(xp.isfinite(src))):
            raise ValueError(
                f"source overflows {np.dtype(self.dtype).name} in the FFT (its sum is not finite); "
                "rescale it or use float64"
            )
        raise ValueError("source must be finite; it contains NaN or inf")

    def _fft_out(self, kind):
        """Cached scratch for the pyFFTW backend (which transforms into `out` directly)."""
        if self.backend.name != "pyfftw":
            return None
        buf = self._buffers.get(kind)
        if buf is None:
            be = self.backend
            if kind == "c":
                shape = self.fft_shape[:-1] + (self.fft_shape[-1] // 2 + 1,)
                buf = be.empty(shape, np.complex64 if self.dtype == np.float32 else np.complex128)
            else:
                buf = be.empty(self.fft_shape, self.dtype)
            self._buffers[kind] = buf
        return buf

    def _forward(self, src, check_finite):
        """rfftn of the (padded) source (into cached scratch on pyFFTW)."""
        be = self.backend
        if self.bc == "periodic":
            X = be.rfftn(src, out=self._fft_out("c"))
        else:
            if self._pad is None:
                self._pad = be.zeros(self.fft_shape, self.dtype)
            inner = tuple(slice(0, n) for n in self.shape)
            self._pad[inner] = src
            X = be.rfftn(self._pad, out=self._fft_out("c"))
        if check_finite:
            self._check_finite(src, X)
        return X

    def _inverse(self, X):
        be = self.backend
        if self.bc == "periodic":
            return be.irfftn(X, s=self.fft_shape, norm="forward", overwrite_x=True)
        y = be.irfftn(X, s=self.fft_shape, norm="forward", overwrite_x=True, out=self._fft_out("r"))
        inner = tuple(slice(0, n) for n in self.shape)
        if be.on_host:
            return np.ascontiguousarray(y[inner])
        return be.xp.asarray(y[inner], copy=True)

    def _mul(self, X, m):
        if self.backend.on_host:
            X *= m
            return X
        return X * m

    def solve(self, source, *, check_finite=True):
        """Potential of `source` on this grid.

        Parameters
        ----------
        source : array, shape ``self.shape``, real
            Density (mass per cell volume; per area in 2-D, per length in 1-D).
        check_finite : bool
            Raise on NaN/inf in the source (checked for free on the k = 0
            mode of the transform; the source is read again only to word the
            error).

        Returns
        -------
        array, ``self.shape``, ``self.dtype``, on the backend
            The potential (zero mean for periodic solves).

        Raises
        ------
        ValueError
            Wrong shape, non-finite source.
        TypeError
            float16 source in an isolated solve; complex source.

        Examples
        --------
        >>> import numpy as np
        >>> from fieldconv.poisson import PoissonSolver
        >>> s = PoissonSolver((8, 8, 8), 1.0, bc="isolated", green="integrated", backend="numpy")
        >>> rho = np.zeros((8, 8, 8)); rho[4, 4, 4] = 1.0
        >>> phi = s.solve(rho)
        >>> round(float(phi[4, 4, 0]), 6)  # -G m <1/r> over the cell, about -1/4 at r = 4
        -0.249986
        """
        src = self._check_source(source)
        X = self._forward(src, check_finite)
        X = self._mul(X, self._cached_green())
        return self._inverse(X)

    def forces(self, source, *, check_finite=True):
        """Force per unit mass ``F = -grad phi`` of `source`, one array per axis.

        Parameters
        ----------
        source : array, shape ``self.shape``, real
        check_finite : bool

        Returns
        -------
        tuple of arrays, each ``self.shape``, ``self.dtype``
            ``(F_0, ..., F_{d-1})`` along the array axes.

        Notes
        -----
        ``differencing="spectral"``: ``F_a = -i k_a phi_hat`` with the Nyquist
        mode zeroed; ``"fd"``: ``F_a = -D_a phi`` with the central difference of
        ``order`` (isolated: applied to the free-space kernel, so the boundary
        cells need no ghost values).

        Examples
        --------
        >>> import numpy as np
        >>> from fieldconv.poisson import PoissonSolver
        >>> n = 16; h = 2 * np.pi / n
        >>> x = (np.arange(n) + 0.5) * h
        >>> (f,) = PoissonSolver((n,), h, backend="numpy").forces(np.cos(x))
        >>> bool(np.allclose(f, -4 * np.pi * np.sin(x)))
        True
        """
        return self.solve_forces(source, check_finite=check_finite, potential=False)[1]

    def solve_forces(self, source, *, check_finite=True, potential=True):
        """Potential and forces from one forward FFT.

        Returns
        -------
        (phi, forces) : array and tuple of arrays
            As :meth:`solve` and :meth:`forces` (``phi`` is None when
            ``potential=False``).

        Examples
        --------
        >>> import numpy as np
        >>> from fieldconv.poisson import PoissonSolver
        >>> phi, (f,) = PoissonSolver((8,), 1.0, backend="numpy").solve_forces(np.cos(2 * np.pi * (np.arange(8) + 0.5) / 8))
        >>> phi.shape, f.shape
        ((8,), (8,))
        """
        src = self._check_source(source)
        X = self._forward(src, check_finite)
        out_phi = None
        hats = self._cached_forces()
        if self.bc == "periodic":
            X = self._mul(X, self._cached_green())
            res = [self._inverse(X * m) for m in hats]
            if potential:
                out_phi = self._inverse(X)
        else:
            res = [self._inverse(X * m) for m in hats]
            if potential:
                out_phi = self._inverse(self._mul(X, self._cached_green()))
        return out_phi, tuple(res)


# ---------------------------------------------------------------------- functions
def _units_in(source, spacing, G, kernel_power):
    """Strip units; return plain values and the potential unit (or None)."""
    src, su = strip(source, "source")
    sp, lu = _strip_spacing(spacing)
    if G is None:
        if su is None and lu is None:
            G = 1.0
        else:
            from astropy import constants

            G = constants.G
    g, gu = strip(G, "G")
    if su is None and lu is None and gu is None:
        return src, sp, float(g), None
    import astropy.units as u

    unit = (gu or u.one) * (su or u.one) * (lu or u.one) ** kernel_power
    return src, sp, float(g), unit


def _solver_for(source, spacing, bc, kernel, green, order, points, window, differencing, G, backend):
    be = get_backend(backend, like=source)
    src = be.asarray(source)
    if src.ndim < 1 or src.ndim > 3:
        raise ValueError(f"source must be 1-, 2- or 3-dimensional; got ndim={src.ndim}")
    dt = result_dtype(src.dtype, name="source")
    if bc == "isolated" and str(src.dtype).endswith("float16"):
        raise TypeError("source dtype float16 is not supported for an isolated solve; cast it to float32")
    solver = PoissonSolver(
        tuple(src.shape), spacing, bc=bc, kernel=kernel, green=green, order=order, points=points,
        window=window, differencing=differencing, G=G, dtype=dt, backend=be,
    )
    return solver, src


def solve_poisson(
    source, spacing=1.0, *, bc="periodic", kernel=None, green=None, order=2, points=None, window="cic",
    G=None, backend=None,
):
    """Gravitational potential of a density on a cell-centred grid.

    Parameters
    ----------
    source : array or Quantity, shape (n0[, n1[, n2]]), real
        Density: mass/length^3 (3-D), mass/length^2 (2-D), mass/length (1-D).
    spacing : float, sequence or Quantity
        Cell size per axis.
    bc : {"periodic", "isolated"}
    kernel : {"newton", "log", "thin-disk"}, optional
        Default "newton" (1-D, 3-D), "log" (2-D).  See the module docstring.
    green : str, optional
        "continuous" (periodic default), "discrete", "optimal"; "spectral"
        (isolated default), "integrated".
    order : {2, 4, 6}
        Stencil order for ``green="discrete"``.
    points : int, optional
        Compact Laplacian for ``green="discrete"`` (9, 19, 27).
    window : {"ngp", "cic", "tsc", "pcs"}
        Assignment window for ``green="optimal"``.
    G : float or Quantity, optional
        Default 1.0 for plain arrays; ``astropy.constants.G`` when `source`
        or `spacing` carries units.
    backend : str or Backend, optional

    Returns
    -------
    array or Quantity, same shape, float32 for float32/float16 input else float64
        The potential; with units ``[G][source][spacing]**2`` (thin-disk:
        ``**1``) when any input has units.

    Raises
    ------
    ValueError
        Non-finite source, bad spacing, bad choice, kernel not defined in
        this dimension, source with ndim not in 1..3 or an axis < 2.
    TypeError
        Complex source; float16 source with ``bc="isolated"``.
    NotImplementedError
        ``green="discrete"`` with ``kernel="thin-disk"``.

    Notes
    -----
    See the module docstring for the equations, the Green's functions, the
    zero mode (the mean of a periodic source is removed) and Nyquist
    handling.  For repeated solves on one grid use :class:`PoissonSolver`.

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.poisson import solve_poisson
    >>> n = 32; h = 1.0 / n
    >>> x = (np.arange(n) + 0.5) * h
    >>> rho = np.sin(2 * np.pi * x)[:, None, None] * np.ones((n, n, n))
    >>> phi = solve_poisson(rho, h, backend="numpy")
    >>> bool(np.allclose(phi, -4 * np.pi * rho / (2 * np.pi) ** 2))
    True
    """
    power = 1 if kernel == "thin-disk" else 2
    src, sp, g, unit = _units_in(source, spacing, G, power)
    solver, src = _solver_for(src, sp, bc, kernel, green, order, points, window, "spectral", g, backend)
    return attach(solver.solve(src), unit)


def solve_forces(
    source, spacing=1.0, *, bc="periodic", kernel=None, green=None, order=2, points=None, window="cic",
    differencing="spectral", G=None, backend=None,
):
    """Potential and force per unit mass ``F = -grad phi``.

    Parameters
    ----------
    source, spacing, bc, kernel, green, order, points, window, G, backend
        As :func:`solve_poisson`.
    differencing : {"spectral", "fd"}
        ``-i k phi`` with Nyquist zeroed, or central differences of `order`.
        (Isolated ``green="integrated"`` always uses "fd".)

    Returns
    -------
    phi : array or Quantity
    forces : tuple of arrays or Quantities, one per axis
        Unit ``[phi]/[spacing]``.

    Raises
    ------
    As :func:`solve_poisson`.

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.poisson import solve_forces
    >>> n = 16; h = 2 * np.pi / n
    >>> x = (np.arange(n) + 0.5) * h
    >>> phi, (fx,) = solve_forces(np.cos(x), h, backend="numpy")
    >>> bool(np.allclose(fx, -4 * np.pi * np.sin(x)))
    True
    """
    power = 1 if kernel == "thin-disk" else 2
    src, sp, g, unit = _units_in(source, spacing, G, power)
    solver, src = _solver_for(src, sp, bc, kernel, green, order, points, window, differencing, g, backend)
    phi, forces = solver.solve_forces(src)
    if unit is None:
        return phi, forces
    lu = _strip_spacing(spacing)[1]
    funit = unit / lu if lu is not None else unit
    return attach(phi, unit), tuple(attach(f, funit) for f in forces)


def smooth_laplacian(field, lam, spacing=1.0, *, order=2, backend=None):
    """Laplacian-regularised smoothing: solve ``(I + lam L^T L) u = f`` (periodic).

    Parameters
    ----------
    field : array, real, 1-3 axes
        Data ``f`` on a periodic cell-centred grid.
    lam : float
        Regularisation weight (>= 0), unit length**4.
    spacing : float or sequence of float
    order : {2, 4, 6}
        Order of the stencil Laplacian ``L``.
    backend : str or Backend, optional

    Returns
    -------
    array, same shape, dtype rule of the package
        ``u = irfftn(f_hat / (1 + lam lambda(k)^2))`` with ``lambda`` the
        stencil eigenvalue; the mean is preserved.

    Raises
    ------
    ValueError
        Negative or non-finite `lam`, bad spacing/order.

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.poisson import smooth_laplacian
    >>> u = smooth_laplacian(np.ones(8), 3.0, backend="numpy")
    >>> bool(np.allclose(u, 1.0))
    True
    """
    be = get_backend(backend, like=field)
    f = be.asarray(field)
    if f.ndim < 1 or f.ndim > 3:
        raise ValueError(f"field must be 1-, 2- or 3-dimensional; got ndim={f.ndim}")
    dt = result_dtype(f.dtype)
    if f.dtype != be.dtype(dt):
        f = be.xp.astype(f, be.dtype(dt))
    lam = float(lam)
    if not math.isfinite(lam) or lam < 0:
        raise ValueError(f"lam must be finite and >= 0; got {lam!r}")
    shape = tuple(f.shape)
    sym = laplacian_symbol(shape, as_spacing(spacing, len(shape)), order=order, rfft=True)
    m = be.xp.astype(be.asarray(1.0 / (1.0 + lam * sym * sym), copy=True), be.dtype(dt))
    X = be.rfftn(f)
    X = X * m
    return be.irfftn(X, s=shape, overwrite_x=True)
