"""``ParticleMesh``: gravity on a mesh, paint -> Poisson -> readout, kept between steps."""

import math

import numpy as np

from .._dtypes import result_dtype
from .._units import is_quantity, strip, strip_spacing
from .._validate import as_spacing, check_choice, check_int
from .._windows import scheme_order
from ..assign import paint, readout, readout_gradient
from ..backend import get_backend
from ..poisson import PoissonSolver

__all__ = ["ParticleMesh", "RECIPES"]

#: How the mesh force reaches the particles (see docs/pm.md).
RECIPES = ("momentum", "energy")


def check_recipe(recipe):
    return check_choice("recipe", recipe, RECIPES)


def check_shape(shape):
    if np.ndim(shape) != 1:
        raise ValueError(f"shape must be a sequence of 1 to 3 ints; got {shape!r}")
    shape = tuple(check_int("shape", n, minimum=2) for n in shape)
    if not 1 <= len(shape) <= 3:
        raise ValueError(f"shape must have 1, 2 or 3 entries; got {shape}")
    return shape


def plain_masses(masses, n, G_has_units, be):
    """(masses as a plain array or scalar, their unit); a physical G needs masses with mass units."""
    if masses is None:
        raise TypeError("masses is required: an array (N,) or one value for every particle")
    plain, unit = strip(masses, "masses", dimension="mass" if G_has_units else None)
    if G_has_units and unit is None:
        raise ValueError(
            "masses must be a Quantity with mass units (e.g. u.Msun) when G has units (the default G once "
            "box_size or the positions carry units); got plain numbers"
        )
    if np.ndim(plain) == 0:
        value = float(plain)
        if not math.isfinite(value):
            raise ValueError(f"masses must be finite; got {value}")
        return value, unit
    arr = np.asarray(plain) if be.on_host else be.asarray(plain)
    if tuple(arr.shape) != (n,):
        raise ValueError(f"masses must be one value or have shape (N,) = ({n},); got shape {tuple(arr.shape)}")
    return arr, unit


class ParticleMesh:
    """Particle-mesh gravity on one mesh: accelerations of particles, step after step.

    Each call paints the masses on the mesh (density, window `scheme`),
    solves Poisson's equation for the force per unit mass on the mesh, and
    reads the force back at the particles with the same window.  The Poisson
    solver (its Green's function and FFT scratch) and the density buffer are
    kept between calls.

    Parameters
    ----------
    shape : sequence of d ints
        Mesh shape (d = 1, 2 or 3; every axis >= 2).
    box_size : float, sequence of d floats, or length Quantity
        Box length per axis; the cell size is ``h = box_size / shape``.
        Its unit is the length unit of every call (plain positions are read
        in it, Quantity positions converted to it).
    scheme : {"ngp", "cic", "tsc", "pcs"}, optional
        Assignment and interpolation window (the same for both).  Default "cic".
    bc : {"periodic", "isolated"}, optional
        Periodic box (default; the mean density is subtracted, as in
        cosmological PM codes), or free space (the particles' windows must
        lie inside the mesh).
    recipe : {"momentum", "energy"}, optional
        "momentum" (default): the mesh forces ``-grad phi`` (spectral
        derivative) are read out with the window, the adjoint of painting:
        momentum is conserved and a lone particle feels no force of its own,
        to round-off.  "energy": the interpolated potential is
        differentiated (:func:`fieldconv.assign.readout_gradient`): the force
        derives from a potential (energy-conserving in the limit of small
        steps) but a particle pulls on itself and momentum is not conserved.
        See ``docs/pm.md`` for the figures.
    green : str, optional
        The Green's function of :class:`fieldconv.poisson.PoissonSolver`:
        periodic "continuous" (default), "discrete" or "optimal" (Hockney &
        Eastwood's, for `scheme`); isolated "spectral" (default) or
        "integrated".
    differencing : {"fd", "spectral"}, optional
        How the mesh force is taken from the potential (momentum recipe):
        central differences of `order` (default) or ``i k`` with the Nyquist
        mode zeroed.  Both are odd, so both conserve momentum; the spectral
        derivative of a point mass rings (radial force 0.4-2.5 times
        Newton's at 8-12 cells for CIC, see ``docs/pm.md``), the fourth-order
        difference does not (within 1-2 %).
    order : {2, 4, 6}, optional
        Order of the central difference.  Default 4.
    G : float or Quantity, optional
        Gravitational constant.  Default None: 1.0 for a plain `box_size`,
        ``astropy.constants.G`` for a Quantity one (then masses are mass
        Quantities).
    dtype : {numpy.float64, numpy.float32}, optional
        Working dtype of the mesh, the solve and the accelerations.
    backend : str or Backend, optional

    Attributes
    ----------
    shape, box_size, spacing, ndim, scheme, bc, recipe, G, dtype, solver (the
    :class:`fieldconv.poisson.PoissonSolver`)

    Raises
    ------
    ValueError
        Bad shape, box, choices; see :meth:`accelerations` for the inputs.
    TypeError
        A scheme that is not a string, a dtype other than float32 or float64.

    Notes
    -----
    Momentum recipe, per axis ``a``: ``a_i = sum_j W(x_i - x_j) F_a[j]`` with
    ``F_a = IFFT(-i d_a(k) G(k) rho(k))``, ``d_a`` the symbol of the
    central difference (or ``k_a`` with the Nyquist mode zeroed).  The force
    kernel ``D_a(r)`` is then odd, so the self-force
    ``sum_jj' W(x - x_j) D_a(x_j - x_j') W(x - x_j')`` and the total
    ``sum_i m_i a_i = h^d sum_jj' rho_j D_a(x_j - x_j') rho_j'`` vanish by
    antisymmetry, whatever the positions.  The energy recipe reads
    ``-grad`` of ``sum_j W(x - x_j) phi_j``, which is not antisymmetric.
    The periodic solve removes the mean density (zero mode), so a uniform
    background is subtracted.  Not thread-safe (the solver's scratch is
    shared): use one per thread.

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.pm import ParticleMesh
    >>> pm = ParticleMesh((16, 16, 16), 1.0)
    >>> pos = np.array([[0.30, 0.5, 0.5], [0.70, 0.5, 0.5]])
    >>> acc = pm.accelerations(pos, masses=1.0)
    >>> acc.shape, bool(acc[0, 0] > 0 > acc[1, 0])   # they attract
    ((2, 3), True)
    >>> float(abs(acc.sum(axis=0)).max()) < 1e-12   # and the total force is zero
    True
    """

    def __init__(self, shape, box_size, *, scheme="cic", bc="periodic", recipe="momentum", green=None,
                 differencing="fd", order=4, G=None, dtype=np.float64, backend=None):
        self.shape = check_shape(shape)
        self.ndim = len(self.shape)
        self.p = scheme_order(scheme)
        self.scheme = scheme.lower()
        self.bc = check_choice("bc", bc, ("periodic", "isolated"))
        self.recipe = check_recipe(recipe)
        if self.recipe == "energy" and self.p == 1:
            raise ValueError("recipe='energy' needs scheme 'cic', 'tsc' or 'pcs'; got 'ngp' (a piecewise "
                             "constant potential has no gradient)")
        box, self.length_unit = strip_spacing(box_size, "box_size", dimension="length")
        self.box_size = as_spacing(box, self.ndim, name="box_size")
        self.spacing = tuple(b / n for b, n in zip(self.box_size, self.shape))
        try:
            dt = np.dtype(dtype)
        except TypeError:
            raise TypeError(f"dtype must be numpy.float32 or numpy.float64; got {dtype!r}") from None
        if dt not in (np.float32, np.float64):  # the working dtype is chosen, never converted silently
            raise TypeError(f"dtype must be numpy.float32 or numpy.float64; got {dt.name}")
        self.dtype = result_dtype(dt, name="dtype")
        self.backend = get_backend(backend)
        if G is None:  # the package's rule: 1.0 in code units, Newton's constant once lengths have units
            G = 1.0
            if self.length_unit is not None:
                from astropy import constants

                G = constants.G
        self._G_unit = strip(G, "G")[1]
        if self._G_unit is not None and self.length_unit is None:
            raise ValueError(f"box_size must be a length Quantity when G has units; got G in {self._G_unit} "
                             "and a plain box_size")
        spacing = self.spacing if self.length_unit is None else [s * self.length_unit for s in self.spacing]
        self.solver = PoissonSolver(self.shape, spacing, bc=self.bc, green=green, scheme=self.scheme, G=G,
                                    differencing=differencing, order=order, dtype=self.dtype, backend=self.backend)
        self.G = self.solver.G
        self._mesh = None

    def __repr__(self):
        return (f"ParticleMesh(shape={self.shape}, box_size={self.box_size}, scheme={self.scheme!r}, "
                f"bc={self.bc!r}, recipe={self.recipe!r}, green={self.solver.green!r}, dtype={self.dtype.name})")

    def _box(self):
        return self.box_size if self.length_unit is None else tuple(b * self.length_unit for b in self.box_size)

    def _positions(self, positions):
        if is_quantity(positions) and self.length_unit is None:
            raise ValueError(
                "positions is a Quantity but this ParticleMesh's box_size is not: give box_size with units "
                "(the mesh, its Green's function and G are set up in the box's units)"
            )
        return positions

    def density(self, positions, *, masses):
        """The painted mass density (mass per cell volume), the mesh the solve uses.

        Parameters
        ----------
        positions, masses
            As in :meth:`accelerations`.

        Returns
        -------
        array or Quantity of `shape`, `dtype`
            A view of the buffer this object reuses: copy it to keep it.

        Examples
        --------
        >>> import numpy as np
        >>> from fieldconv.pm import ParticleMesh
        >>> rho = ParticleMesh((4, 4), 2.0).density(np.array([[1.0, 1.0]]), masses=2.0)
        >>> float(rho.sum() * 0.25)   # mass = sum(rho) * cell area
        2.0
        """
        positions = self._positions(positions)
        be = self.backend
        n = int(np.shape(positions[1] if isinstance(positions, tuple) else positions)[0])
        m, m_unit = plain_masses(masses, n, self._G_unit is not None, be)
        weights = m if np.ndim(m) else None
        if self._mesh is None:
            self._mesh = be.zeros(self.shape, self.dtype)
        else:
            self._mesh[...] = 0
        rho = paint(positions, box_size=self._box(), shape=self.shape, scheme=self.scheme, weights=weights,
                    periodic=self.bc == "periodic", out=self._mesh, density=True, backend=be)
        rho = getattr(rho, "value", rho)
        if weights is None:
            rho *= m  # one mass for all: a scale of the unit-mass mesh
        unit = None
        if m_unit is not None or self.length_unit is not None:
            from .._units import product

            unit = product(m_unit, (self.length_unit, -self.ndim))
        if unit is None:
            return rho
        import astropy.units as u

        return u.Quantity(rho, unit, copy=False)

    def accelerations(self, positions, *, masses):
        """Accelerations of the particles, shape (N, d).

        Parameters
        ----------
        positions : array (N, d) or Quantity, or tuple (cells, offsets)
            Positions (as :func:`fieldconv.assign.paint` takes them).  Plain
            numbers are in the unit of `box_size`.
        masses : float, array (N,) or Quantity
            Particle masses (one value for all, or one each); mass
            Quantities when G has units.

        Returns
        -------
        array or Quantity (N, d), `dtype`, on the backend
            ``d^2 x / dt^2`` of every particle; in ``m / s**2`` when the
            inputs carry units.

        Raises
        ------
        ValueError
            Positions not (N, d) with d the mesh's dimension, non-finite
            positions or masses, particles outside an isolated mesh, masses
            without mass units when G has units, Quantity positions for a
            plain box.

        Examples
        --------
        >>> import numpy as np
        >>> from fieldconv.pm import ParticleMesh
        >>> pm = ParticleMesh((32,), 1.0, scheme="tsc")
        >>> a = pm.accelerations(np.array([[0.25], [0.75]]), masses=np.array([1.0, 3.0]))
        >>> bool(abs(1.0 * a[0, 0] + 3.0 * a[1, 0]) < 1e-12)   # momentum is conserved
        True
        """
        rho = self.density(positions, masses=masses)
        box = self._box()
        periodic = self.bc == "periodic"
        if self.recipe == "momentum":
            forces = self.solver.forces(rho)
            comps = readout(tuple(forces), positions, box_size=box, scheme=self.scheme, periodic=periodic,
                            backend=self.backend)
            acc = _stack(comps, self.backend)
        else:
            phi = self.solver.solve(rho)
            acc = -readout_gradient(phi, positions, box_size=box, scheme=self.scheme, periodic=periodic,
                                    backend=self.backend)
        return _simplify(acc)


def _stack(comps, be):
    """(N, d) from d arrays (N,) (Quantities keep their common unit)."""
    if is_quantity(comps[0]):
        import astropy.units as u

        unit = comps[0].unit
        return u.Quantity(_stack(tuple(c.to_value(unit) for c in comps), be), unit, copy=False)
    if be.on_host:
        return np.stack(comps, axis=1)
    return be.xp.stack(comps, axis=1)


def _simplify(acc):
    """An acceleration Quantity in m / s**2 (G, masses and lengths of mixed units otherwise leave a product)."""
    if not is_quantity(acc):
        return acc
    import astropy.units as u

    if acc.unit.is_equivalent(u.m / u.s**2):
        return acc.to(u.m / u.s**2)
    return acc
