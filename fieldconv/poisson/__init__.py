"""Green's-function Poisson solvers: potentials and forces, periodic and isolated.

Conventions (cell-centred grids, sample ``i`` at ``(i + 1/2) h``; ``k``
angular wavenumber in rad/length):

===========  =====  ============================  ==========================================
kernel       ndim   equation                      potential
===========  =====  ============================  ==========================================
"newton"     3      ``lap phi = 4 pi G rho``      ``phi = -G int rho(x') / |x - x'| d^3x'``
"newton"     1      ``phi'' = 4 pi G rho``        ``phi = 2 pi G int rho(x') |x - x'| dx'``
"log"        2      ``lap phi = 2 pi G Sigma``    ``phi = G int Sigma(x') ln|x - x'| d^2x'``
"thin-disk"  2      (3-D gravity of a sheet)      ``phi = -G int Sigma(x') / |x - x'| d^2x'``
===========  =====  ============================  ==========================================

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
round-off, ~1e-7 relative).  A ``PoissonSolver`` owns them (built on first
use, freed with the solver or by ``clear_cache``), so repeated solves cost
one forward and one inverse real FFT; ``solve_poisson``/``solve_forces``
keep recent ones in the byte-bounded cache ``"poisson_solvers"``.

Units: ``spacing`` must be a length; with physical units the density must
be a mass density of the grid's dimension and ``G`` defaults to
``astropy.constants.G``.  The potential comes back in
``G.unit * density.unit * spacing.unit**2``.

Layout: :mod:`._solver` (PoissonSolver), :mod:`._functions`
(solve_poisson, solve_forces), :mod:`._periodic` and :mod:`._isolated`
(the Green's functions).  ``smooth_laplacian`` moved to
:mod:`fieldconv.filters` and is re-exported here.
"""

from ..filters import smooth_laplacian
from ._functions import solve_forces, solve_poisson
from ._solver import ISOLATED_GREENS, KERNELS, PERIODIC_GREENS, PoissonSolver

__all__ = ["PoissonSolver", "solve_poisson", "solve_forces", "smooth_laplacian", "KERNELS", "PERIODIC_GREENS",
           "ISOLATED_GREENS"]
