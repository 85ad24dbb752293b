"""``solve_poisson`` and ``solve_forces``: one call, one solver from a byte-bounded cache."""

import numpy as np

from .._cache import ByteCache
from .._deprecate import renamed
from .._dtypes import result_dtype
from .._units import strip, strip_spacing
from ..backend import get_backend
from ._solver import PoissonSolver, default_G

__all__ = ["solve_poisson", "solve_forces", "solver_cache"]

#: Green's functions of the solvers made by the functions, reused by the next call on the
#: same grid and options (each call has its own solver and scratch: calls stay thread-safe).
solver_cache = ByteCache(
    "poisson_solvers",
    256 * 2**20,
    max_entries=8,
    description="Green's functions of the solvers made by solve_poisson/solve_forces",
)


def _solver_for(density, spacing, bc, kernel, green, order, points, scheme, differencing, G, backend):
    """A new solver for the call (with the cached Green's functions when there are), and its cache key."""
    plain, dunit = strip(density, "density")
    spacing_plain, lunit = strip_spacing(spacing, dimension="length")
    G = default_G(G, dunit, lunit)
    be = get_backend(backend, like=plain)
    src = be.asarray(plain)
    if src.ndim < 1 or src.ndim > 3:
        raise ValueError(f"density must be 1-, 2- or 3-dimensional; got ndim={src.ndim}")
    dt = result_dtype(src.dtype, name="density")
    if bc == "isolated" and str(src.dtype).endswith("float16"):
        raise TypeError("density dtype float16 is not supported for an isolated solve; cast it to float32")
    g_plain, gunit = strip(G, "G")
    key = (tuple(src.shape), _freeze(spacing_plain), str(lunit), bc, kernel, green, order, points, scheme,
           differencing, float(g_plain), str(gunit), np.dtype(dt).str, be)
    solver = PoissonSolver(
        tuple(src.shape), spacing, bc=bc, kernel=kernel, green=green, order=order, points=points,
        scheme=scheme, differencing=differencing, G=G, dtype=dt, backend=be,
    )
    greens = solver_cache.get(key)
    if greens is not None:
        solver._green_hat, solver._force_hat, solver._scales = greens
    return solver, key


def _freeze(spacing):
    return tuple(float(v) for v in np.atleast_1d(spacing))


def _remember(key, solver):
    greens = (solver._green_hat, solver._force_hat, solver._scales)
    nbytes = sum(int(a.nbytes) for a in (greens[0], *(greens[1] or ())) if a is not None)
    if solver_cache.get(key, count=False) is not None:
        solver_cache.discard(key)
    solver_cache.put(key, greens, nbytes)


@renamed(source="density", window="scheme")
def solve_poisson(
    density, spacing=1.0, *, bc="periodic", kernel=None, green=None, order=2, points=None, scheme="cic",
    G=None, backend=None,
):
    """Gravitational potential of a density on a cell-centred grid.

    Parameters
    ----------
    density : array or Quantity, shape (n0[, n1[, n2]]), real
        Mass/length^3 (3-D), mass/length^2 (2-D), mass/length (1-D).
        (``source=`` is a deprecated alias.)
    spacing : float, sequence or Quantity
        Cell size per axis (a length).
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
    scheme : {"ngp", "cic", "tsc", "pcs"}
        Assignment scheme for ``green="optimal"`` (``window=`` is a
        deprecated alias).
    G : float or Quantity, optional
        Default 1.0 for plain arrays; ``astropy.constants.G`` when `density`
        or `spacing` carries units.
    backend : str or Backend, optional

    Returns
    -------
    array or Quantity, same shape, float32 for float32/float16 input else float64
        The potential; with units ``[G][density][spacing]**2`` (thin-disk:
        ``**1``) when any input has units, in SI (``m2 / s2``) where that
        product mixes units of one dimension (astropy's SI ``G`` with
        solMass/pc**3 and kpc), see :class:`PoissonSolver`.

    Raises
    ------
    ValueError
        Non-finite density, bad spacing (or one that is not a length), bad
        choice, kernel not defined in this dimension, density with ndim not
        in 1..3 or an axis < 2, a density unit that is not a mass density; a
        Green's function or potential that overflows the working dtype
        (float32 beyond 3.4e38: an error, never inf/NaN garbage).
    TypeError
        Complex density; float16 density with ``bc="isolated"``.
    NotImplementedError
        ``green="discrete"`` with ``kernel="thin-disk"``.

    Notes
    -----
    See the module docstring for the equations, the Green's functions, the
    zero mode (the mean of a periodic source is removed) and Nyquist
    handling.  The solver (and its Green's function) is kept in the
    byte-bounded cache ``"poisson_solvers"`` (:func:`fieldconv.backend.cache_info`),
    so a repeated call on the same grid reuses it; hold a
    :class:`PoissonSolver` to keep it for sure.

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
    solver, key = _solver_for(density, spacing, bc, kernel, green, order, points, scheme, "spectral", G, backend)
    phi = solver.solve(density)
    _remember(key, solver)
    return phi


@renamed(source="density", window="scheme")
def solve_forces(
    density, spacing=1.0, *, bc="periodic", kernel=None, green=None, order=2, points=None, scheme="cic",
    differencing="spectral", G=None, backend=None,
):
    """Potential and force per unit mass ``F = -grad phi``.

    Parameters
    ----------
    density, spacing, bc, kernel, green, order, points, scheme, G, backend
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
    solver, key = _solver_for(density, spacing, bc, kernel, green, order, points, scheme, differencing, G, backend)
    phi, forces = solver.solve_forces(density)
    _remember(key, solver)
    return phi, forces

