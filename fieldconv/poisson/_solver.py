"""The reusable Poisson solver: one grid, its Green's functions (owned), scratch buffers."""

import contextlib
import math

import numpy as np

from .._cache import register_owner
from .._deprecate import renamed
from .._blocks import block_indices
from .._dtypes import result_dtype
from .._units import attach, attach_all, product, strip, strip_spacing
from .._validate import as_spacing, check_choice, check_int, check_order
from .._windows import SCHEMES, scheme_order
from ..backend import get_backend
from ._isolated import isolated_kernel_hat
from ._periodic import axis_shape, derivative_symbol, periodic_green

__all__ = ["PoissonSolver", "KERNELS", "PERIODIC_GREENS", "ISOLATED_GREENS", "default_G", "density_dimension",
           "simplified_unit"]

KERNELS = ("newton", "log", "thin-disk")
PERIODIC_GREENS = ("continuous", "discrete", "optimal")
ISOLATED_GREENS = ("spectral", "integrated")


def default_G(G, *units):
    """G as given; None means 1.0 for plain inputs and ``astropy.constants.G`` once any input has units."""
    if G is not None:
        return G
    if all(u is None for u in units):
        return 1.0
    from astropy import constants

    return constants.G


def simplified_unit(unit):
    """``(unit, factor)``: `unit` as given, or in SI when it mixes units of one dimension (kg and solMass, m and pc).

    ``G`` in SI (astropy's) times a density in solar masses per cubic parsec
    times a spacing in kpc gives ``m3 solMass / (kg pc s2)``-like products
    that do not cancel; they come back in SI (``m2 / s2``) with the values
    multiplied by `factor` (float64, folded into the Green's function so no
    pass over the result is added).  A product whose units of each
    dimension agree (and cancel as far as they can) is kept as it is, e.g.
    ``km2 / s2`` for G in ``pc km2 / (s2 solMass)`` with solMass/pc**3 and pc.
    """
    if unit is None:
        return None, 1.0
    import astropy.units as u

    seen = {}
    for base in getattr(unit, "bases", [unit]):
        seen.setdefault(str(u.Unit(base).physical_type), set()).add(base)
    if getattr(unit, "scale", 1.0) == 1.0 and all(len(v) == 1 for v in seen.values()):
        return unit, 1.0
    si = unit.si
    target = u.CompositeUnit(1, si.bases, si.powers) if si.bases else u.dimensionless_unscaled
    return target, float(unit.to(target))


def _overflow_checked(check):
    """NumPy's overflow warnings off where the result is checked (and an overflow raises) afterwards."""
    return np.errstate(over="ignore", invalid="ignore") if check else contextlib.nullcontext()


def density_dimension(kernel, ndim):
    """Length power of the density: mass per length**3 (3-D), **2 (2-D kernels), **1 (1-D)."""
    return 1 if ndim == 1 else (3 if ndim == 3 else 2)


class PoissonSolver:
    """Reusable Poisson solver for one grid: it owns its Green's functions and scratch.

    Parameters
    ----------
    shape : tuple of int
        Grid shape (1, 2 or 3 axes; every axis >= 2).
    spacing : float or sequence of float or Quantity
        Cell size per axis (code length units, or a length Quantity).
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
    scheme : {"ngp", "cic", "tsc", "pcs"}
        Assignment scheme of ``green="optimal"`` (the name
        :func:`fieldconv.paint` uses; ``window=`` is a deprecated alias).
    differencing : {"spectral", "fd"}
        How :meth:`forces` differentiates (and what "optimal" optimises for).
    images : int
        Alias images per axis in the optimal influence function.
    G : float or Quantity, optional
        Gravitational constant.  Default None: 1.0 when `spacing` is plain,
        ``astropy.constants.G`` when it is a Quantity.
    dtype : {float32, float64}
        Working dtype; float16 is refused for isolated solves.
    backend : str or Backend, optional

    Attributes
    ----------
    shape, spacing, ndim, bc, kernel, green, scheme, dtype, backend, G

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
    Units: with a Quantity `spacing` (or `G`), :meth:`solve` takes the density as a
    Quantity (mass per length**3 in 3-D, per length**2 for the 2-D kernels,
    per length in 1-D, when `G` has units) and returns the potential in
    ``G.unit * density.unit * spacing.unit**2`` (thin disk: ``**1``);
    forces carry one more ``1 / spacing.unit``.  A product that mixes units
    of one dimension (astropy's SI ``G`` with a density in solMass/pc**3 and
    a spacing in kpc) comes back in SI: ``m2 / s2`` for the potential of a
    3-D solve, ``m / s2`` for its forces (:func:`simplified_unit`; the
    factor is folded into the Green's function).

    Units: with a Quantity `spacing` (or `G`), :meth:`solve` takes the density
    as a Quantity (mass per length**3 in 3-D, per length**2 for the 2-D
    kernels, per length in 1-D, when `G` has units) and returns the potential
    in ``G.unit * density.unit * spacing.unit**2`` (thin disk: ``**1``);
    forces carry one more ``1 / spacing.unit``.

    A solver holds scratch buffers and is not thread-safe; use one per thread.
    Its Green's functions are built on first use and kept on the solver (see
    :meth:`cache_nbytes`; :meth:`clear_cache` or
    :func:`fieldconv.backend.clear_caches` frees them); they go away with it.

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


    @renamed(window="scheme")
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
        scheme="cic",
        differencing="spectral",
        images=2,
        G=None,
        dtype=np.float64,
        backend=None,
    ):
        if np.ndim(shape) != 1:
            raise ValueError(f"shape must be a sequence of ints; got {shape!r}")
        self.shape = tuple(check_int("shape", n, minimum=2) for n in shape)
        self.ndim = len(self.shape)
        if not 1 <= self.ndim <= 3:
            raise ValueError(f"shape must have 1, 2 or 3 axes; got {self.shape}")
        spacing, self._length_unit = strip_spacing(spacing, dimension="length")
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
        self.order = check_order(order)
        self.points = points
        scheme_order(scheme)
        self.scheme = scheme.lower()
        self.differencing = check_choice("differencing", differencing, ("spectral", "fd"))
        self.images = check_int("images", images, minimum=0)
        G, self._G_unit = strip(default_G(G, self._length_unit), "G")
        self.G = float(G)
        if not math.isfinite(self.G):
            raise ValueError(f"G must be finite; got {G!r}")
        dt = np.dtype(dtype)
        if self.bc == "isolated" and dt == np.float16:
            raise TypeError(
                "dtype float16 is not supported for an isolated solve (its range cannot hold the "
                "doubled-grid convolution); cast the density to float32"
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
        self._scales = (1.0, 1.0)  # unit factors folded into _green_hat and _force_hat
        self._octants = {}  # isolated: real-space kernel tables shared by the potential and force kernels
        self._pad = None
        self._buffers = {}
        register_owner(self)

    @property
    def window(self):
        """Deprecated alias of :attr:`scheme`."""
        return self.scheme

    # ----------------------------------------------------------------- caches
    def cache_nbytes(self):
        """Bytes held by this solver's Green's functions, kernel tables and scratch buffers."""
        arrays = [self._green_hat, self._pad, *(self._force_hat or ()), *self._octants.values(),
                  *self._buffers.values()]
        return sum(int(getattr(a, "nbytes", 0)) for a in arrays if a is not None)

    def clear_cache(self):
        """Drop the Green's functions and scratch (rebuilt on the next solve)."""
        self._green_hat = None
        self._force_hat = None
        self._octants = {}
        self._pad = None
        self._buffers = {}

    # ----------------------------------------------------------------- greens
    def green_function(self, *, block=None):
        """The Green's function ``G(k)`` of this solver in ``rfftn`` layout, or one block of it.

        Parameters
        ----------
        block : tuple of slice, optional
            One slice per axis of the ``rfftn`` layout of :attr:`fft_shape`
            (the last axis has ``n // 2 + 1`` entries): only that block,
            equal to the same block of the whole table bit for bit (what one
            rank of :mod:`fieldconv.distributed` holds).  Periodic solvers only.

        Returns
        -------
        ndarray, float64, host
            ``G(k)`` with :attr:`G` included (plain number, code units) and
            without the ``1 / N`` of the inverse transform; 0 at ``k = 0``.

        Raises
        ------
        TypeError
            `block` not a tuple of one slice per axis.
        NotImplementedError
            `block` with ``bc="isolated"``.

        Examples
        --------
        >>> from fieldconv.poisson import PoissonSolver
        >>> s = PoissonSolver((4,), 1.0, G=1.0, backend="numpy")
        >>> s.green_function() / (-4 * 3.141592653589793)  # -4 pi G / k**2, k = 0, pi/2, pi
        array([0.        , 0.40528473, 0.10132118])
        >>> s.green_function(block=(slice(1, 2),)).shape
        (1,)
        """
        if self.bc == "isolated":
            if block is not None:
                raise NotImplementedError("block is only supported for bc='periodic' solvers")
            return self.G * isolated_kernel_hat(self.kernel, self.shape, self.spacing, self.green,
                                                octants=self._octants)
        return self.G * periodic_green(self.kernel, self.green, self.shape, self.spacing, order=self.order,
                                       points=self.points, p=SCHEMES[self.scheme], differencing=self.differencing,
                                       images=self.images, block=block)

    def force_symbols(self, *, block=None):
        """The periodic force symbols ``-i d_a(k)``, one per axis, or one block of them.

        Parameters
        ----------
        block : tuple of slice, optional
            As :meth:`green_function`.

        Returns
        -------
        tuple of ndarray, complex128, host
            Entry ``a`` has the length of axis ``a`` of the block on axis
            ``a`` and 1 elsewhere (broadcastable); ``F_a_hat = symbol_a *
            phi_hat``.  ``d`` is ``k`` with the Nyquist mode zeroed
            (``differencing="spectral"``) or the central difference of
            ``order`` (``"fd"``).

        Raises
        ------
        TypeError
            `block` not a tuple of one slice per axis.
        NotImplementedError
            An isolated solver (its force kernels are not products of 1-D symbols).

        Examples
        --------
        >>> from fieldconv.poisson import PoissonSolver
        >>> (fx,) = PoissonSolver((4,), 1.0, backend="numpy").force_symbols()
        >>> fx.imag  # -k, Nyquist zeroed
        array([-0.        , -1.57079633, -0.        ])
        """
        if self.bc == "isolated":
            raise NotImplementedError("force_symbols is only defined for bc='periodic' solvers")
        nd = self.ndim
        idx = block_indices(self.shape, block)
        hats = []
        for a in range(nd):
            d = derivative_symbol(self.shape[a], self.spacing[a], order=self.order,
                                  differencing=self.differencing, rfft=a == nd - 1)
            hats.append((-1j * d[idx[a]]).reshape(axis_shape(a, nd)))
        return tuple(hats)

    def _release_octants(self):
        if self._green_hat is not None and self._force_hat is not None:
            self._octants = {}  # both kernels built: the tables are not needed again

    def _use_scales(self, scales):
        """Fold the unit factors `scales` (potential, forces) into the Green's functions, rebuilding if they changed."""
        if scales != self._scales:
            self._green_hat = None
            self._force_hat = None
            self._scales = scales

    def _to_working(self, m, what):
        """Host table `m` (float64/complex128) on the backend in the working precision, refused if it overflows it."""
        be = self.backend
        real = np.float32 if self.dtype == np.float32 else np.float64
        big = float(np.max(np.abs(m))) if m.size else 0.0
        if not big <= float(np.finfo(real).max):
            raise ValueError(
                f"the {what} of this grid overflows {np.dtype(real).name} (max |value| {big:.3g} > "
                f"{float(np.finfo(real).max):.3g}, from spacing {self.spacing} and G {self.G:g}): the result would "
                "be inf or NaN; use float64 or rescale the spacing, G or the units"
            )
        if np.iscomplexobj(m):
            return be.asarray(m.astype(np.complex64 if real == np.float32 else np.complex128), copy=True)
        return be.xp.astype(be.asarray(m, copy=True), be.dtype(self.dtype))

    def _cached_green(self):
        if self._green_hat is None:
            # the 1/N of the inverse FFT is folded in: irfftn runs with norm="forward" (no scaling pass), and so
            # is the unit factor; all in float64 on the host, then checked against the working range
            g = self.green_function() * (self._scales[0] / math.prod(self.fft_shape))
            self._green_hat = self._to_working(g, "Green's function")
            self._release_octants()
        return self._green_hat

    def _cached_forces(self):
        if self._force_hat is None:
            nd = self.ndim
            phi_scale, force_scale = self._scales
            hats = []
            symbols = self.force_symbols() if self.bc == "periodic" else None
            for a in range(nd):
                if self.bc == "isolated":
                    m = self.G * isolated_kernel_hat(
                        self.kernel, self.shape, self.spacing, self.green, a,
                        None if self.differencing == "spectral" else self.order, octants=self._octants,
                    ) * (force_scale / math.prod(self.fft_shape))
                else:
                    # F_a = -i d_a(k) phi_hat, a 1-D factor on axis a (host complex); phi_hat carries phi_scale
                    m = symbols[a] * (force_scale / phi_scale)
                hats.append(self._to_working(m, "force kernel"))
            self._force_hat = hats
            self._release_octants()
        return self._force_hat

    # ----------------------------------------------------------------- solves
    def potential_unit(self, density_unit=None):
        """The unit of the potential for a density in `density_unit` (None: no units).

        Parameters
        ----------
        density_unit : astropy unit, optional
            The density's unit (None for a plain array).

        Returns
        -------
        astropy unit or None
            ``G.unit * density_unit * spacing.unit**2`` (thin disk: ``**1``),
            the units that are present; None when none is.  Forces carry one
            more ``1 / spacing.unit``.

        Raises
        ------
        ValueError
            `G` has units and `density_unit` is not a mass per length**d of
            the grid's dimension.

        Examples
        --------
        >>> import astropy.units as u
        >>> from fieldconv.poisson import PoissonSolver
        >>> PoissonSolver((8, 8, 8), 0.5 * u.m, G=2.0).potential_unit(u.kg / u.m**3)
        Unit("kg / m")
        """
        if density_unit is not None and self._G_unit is not None:
            import astropy.units as u

            d = density_dimension(self.kernel, self.ndim)
            if not density_unit.is_equivalent(u.kg / u.m**d):
                raise ValueError(
                    f"density must be a mass per length**{d} (units convertible to kg / m{d}) for a "
                    f"{self.ndim}-D {self.kernel!r} solve with G in physical units; got {density_unit}"
                )
        power = 1 if self.kernel == "thin-disk" else 2
        return product(self._G_unit, density_unit, (self._length_unit, power))

    def _check_density(self, density):
        """(density in the working dtype on the backend, (potential unit, force unit))."""
        density, dunit = strip(density, "density")
        # a product that mixes units of one dimension comes back simplified (SI), its factor folded into the kernels
        unit, phi_scale = simplified_unit(self.potential_unit(dunit))
        funit, f_scale = simplified_unit(product(unit, (self._length_unit, -1)))
        self._use_scales((phi_scale, phi_scale * f_scale))
        be = self.backend
        src = be.asarray(density)
        if tuple(src.shape) != self.shape:
            raise ValueError(f"density must have shape {self.shape}; got {tuple(src.shape)}")
        result_dtype(src.dtype, name="density")  # TypeError for complex / non-numeric densities
        if self.bc == "isolated" and str(src.dtype).endswith("float16"):
            raise TypeError("density dtype float16 is not supported for an isolated solve; cast it to float32")
        if src.dtype != be.dtype(self.dtype):
            src = be.xp.astype(src, be.dtype(self.dtype))  # the solver's working dtype
        return src, (unit, funit)

    def _check_finite(self, src, X):
        """NaN/inf anywhere in the source makes the k = 0 mode (the sum) non-finite: a free check."""
        xp = self.backend.xp
        if bool(xp.isfinite(X[(0,) * self.ndim])):
            return
        if bool(xp.all(xp.isfinite(src))):
            raise ValueError(
                f"density overflows {np.dtype(self.dtype).name} in the FFT (its sum is not finite); "
                "rescale it or use float64"
            )
        raise ValueError("density must be finite; it contains NaN or inf")

    def _check_result(self, res, what):
        """A finite density whose potential overflows the working dtype: an error, never a silent inf/NaN mix."""
        xp = self.backend.xp
        if not bool(xp.all(xp.isfinite(res))):
            raise ValueError(
                f"the {what} overflows {np.dtype(self.dtype).name} (some values exceed "
                f"{float(np.finfo(self.dtype).max):.3g}); use float64 or rescale the density, spacing or G"
            )
        return res

    def _fft_out(self, kind):
        """Cached scratch for backends that transform into `out` directly (elsewhere `out` is a copy)."""
        if not self.backend.fft_writes_out:
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

    @renamed(source="density")
    def solve(self, density, *, check_finite=True):
        """Potential of `density` on this grid.

        Parameters
        ----------
        density : array or Quantity, shape ``self.shape``, real
            Mass per cell volume (per area in 2-D, per length in 1-D).
            (``source=`` is a deprecated alias.)
        check_finite : bool
            Raise on NaN/inf in the density (checked for free on the k = 0
            mode of the transform; the density is read again only to word the
            error), and on a potential that overflows the working dtype (one
            pass over the result, ~1 % of the solve).

        Returns
        -------
        array or Quantity, ``self.shape``, ``self.dtype``, on the backend
            The potential (zero mean for periodic solves); see Units in the
            class docstring.

        Raises
        ------
        ValueError
            Wrong shape, non-finite density, a density unit that is not a
            mass density of the grid's dimension; a Green's function or a
            potential that overflows the working dtype (float32: 3.4e38).
        TypeError
            float16 density in an isolated solve; complex density.

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
        src, (unit, _) = self._check_density(density)
        X = self._forward(src, check_finite)
        with _overflow_checked(check_finite):
            X = self._mul(X, self._cached_green())
            phi = self._inverse(X)
        if check_finite:
            self._check_result(phi, "potential")
        return attach(phi, unit)

    @renamed(source="density")
    def forces(self, density, *, check_finite=True):
        """Force per unit mass ``F = -grad phi`` of `density`, one array per axis.

        Parameters
        ----------
        density : array or Quantity, shape ``self.shape``, real
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
        return self.solve_forces(density, check_finite=check_finite, potential=False)[1]

    @renamed(source="density")
    def solve_forces(self, density, *, check_finite=True, potential=True):
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
        src, (unit, funit) = self._check_density(density)
        X = self._forward(src, check_finite)
        out_phi = None
        hats = self._cached_forces()
        with _overflow_checked(check_finite):
            if self.bc == "periodic":
                X = self._mul(X, self._cached_green())
                res = [self._inverse(X * m) for m in hats]
                if potential:
                    out_phi = self._inverse(X)
            else:
                res = [self._inverse(X * m) for m in hats]
                if potential:
                    out_phi = self._inverse(self._mul(X, self._cached_green()))
        if check_finite:
            for r in res:
                self._check_result(r, "force")
            if out_phi is not None:
                self._check_result(out_phi, "potential")
        return attach(out_phi, unit) if out_phi is not None else None, attach_all(tuple(res), funit)

