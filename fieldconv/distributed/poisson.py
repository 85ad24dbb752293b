"""The periodic Poisson solve and forces on mpi4py-fft's distributed real-to-complex FFT.

The conventions are the serial solver's (:mod:`fieldconv.poisson`): 3-D
``lap phi = 4 pi G rho`` (2-D log kernel ``2 pi G Sigma``, thin disk),
cell-centred grid, the ``k = 0`` mode dropped (the mean of the source is
removed), forces ``F = -grad phi`` by ``-i d(k) phi_hat`` with the Nyquist
mode zeroed (spectral) or the central difference of ``order`` (fd).  Every
periodic Green's function of the serial solver is offered
(``"continuous"``, ``"discrete"``, ``"optimal"``), evaluated by the serial
code on each rank's block of wavenumbers
(:class:`~fieldconv.distributed._serial.BlockGreens`).

One solve is one forward transform of the source and one inverse transform
per output (potential, each force component); mpi4py-fft runs each as local
FFTW transforms and global transposes (one all-to-all for a slab, two for a
pencil).  The Green's function, with the ``1/N`` of the inverse transform
folded in, is cached on the solver, as in serial.
"""

import math

import numpy as np

from .._dtypes import complex_dtype, result_dtype
from .._units import attach, strip
from ._mpi import mpi
from .agreement import abort_on_error, agree_on_errors, same_on_all_ranks

__all__ = ["DistributedPoissonSolver", "solve_poisson", "solve_forces"]


class DistributedPoissonSolver:
    """Reusable periodic Poisson solver on a :class:`DistributedMesh`.

    Parameters
    ----------
    mesh : DistributedMesh
        The grid (its spacing is the solver's).
    kernel, green, order, points, scheme, differencing, images, G
        As :class:`fieldconv.poisson.PoissonSolver` with ``bc="periodic"``
        (G: plain number or Quantity; default 1, or ``astropy.constants.G``
        when the mesh's box carries units).
    dtype : {float64, float32}, optional
        Working dtype; default the mesh's.

    Raises
    ------
    ValueError, TypeError, NotImplementedError
        As the serial solver, on every rank.

    Notes
    -----
    Memory per rank beyond mpi4py-fft's plan (which holds the real block and
    about three complex blocks, see ``docs/distributed.md``): the Green's
    function (one real k-block), one complex k-block of ``G rho_hat`` during a
    solve, and the outputs.
    """

    def __init__(self, mesh, *, kernel=None, green=None, order=2, points=None, scheme="cic",
                 differencing="spectral", images=2, G=None, dtype=None):
        from ..poisson import PoissonSolver

        self.mesh = mesh
        with agree_on_errors(mesh.comm, "DistributedPoissonSolver: check arguments"):
            dt = mesh.dtype if dtype is None else result_dtype(dtype, name="dtype")
            spacing = mesh.spacing if mesh.unit is None else np.asarray(mesh.spacing) * mesh.unit
            # the serial solver checks the options and evaluates the tables on this rank's k-block
            self._serial = PoissonSolver(mesh.shape, spacing, bc="periodic", kernel=kernel, green=green, order=order,
                                         points=points, scheme=scheme, differencing=differencing, images=images,
                                         G=G, dtype=dt, backend="numpy")
        g = self._serial
        same_on_all_ranks(mesh.comm, "the solver's kernel, Green's function, options, G and dtype",
                          (g.kernel, g.green, g.order, g.points, g.scheme, g.differencing, g.images, g.G, str(g.dtype)))
        self.dtype, self.kernel, self.green, self.G = g.dtype, g.kernel, g.green, g.G
        self.order, self.differencing, self.scheme = g.order, g.differencing, g.scheme
        self._fft = mesh.fft(self.dtype)
        self._owns_k0 = all(s.start == 0 for s in mesh.k_slice)
        self._green = None
        self._hats = None

    def potential_unit(self, density_unit=None):
        """Unit of the potential for a density in `density_unit` (None: plain); see the serial solver."""
        return self._serial.potential_unit(density_unit)

    def _tables(self):
        if self._green is None:
            with agree_on_errors(self.mesh.comm, "DistributedPoissonSolver: Green's function"):
                block = tuple(self.mesh.k_slice)
                # G(k) / N: the 1/N of the unnormalised inverse transform folded in, as in serial
                g = self._serial.green_function(block=block) / math.prod(self.mesh.shape)
                self._green = g.astype(self.dtype, copy=False)
                self._hats = self._serial.force_symbols(block=block)
        return self._green, self._hats

    def _check_density(self, density):
        """(this rank's block as a contiguous array of the working dtype, the potential's unit)."""
        mesh = self.mesh
        with agree_on_errors(mesh.comm, "Poisson solve: check the density"):
            src, dunit = strip(density, "density")
            unit = self.potential_unit(dunit)  # ValueError for a density that is not a mass density
            src = np.asarray(src)
            if tuple(src.shape) != mesh.local_shape:
                raise ValueError(f"density must be this rank's block of shape {mesh.local_shape}; got {tuple(src.shape)}")
            result_dtype(src.dtype, name="density")  # TypeError for complex / non-numeric
            src = np.ascontiguousarray(src, dtype=self.dtype)
        same_on_all_ranks(mesh.comm, "the density's unit", str(unit))
        return src, unit

    def _force_unit(self, unit):
        return unit / self.mesh.unit if unit is not None and self.mesh.unit is not None else unit

    def _check_finite(self, src, X):
        """NaN/inf anywhere makes the k = 0 mode (the global sum) non-finite: one allreduce decides."""
        MPI = mpi()
        comm = self.mesh.comm
        bad = self._owns_k0 and not bool(np.isfinite(X[(0,) * self.mesh.ndim]))
        if not comm.allreduce(bad, op=MPI.LOR):
            return
        finite = comm.allreduce(bool(np.all(np.isfinite(src))), op=MPI.LAND)
        if finite:
            raise ValueError(
                f"density overflows {np.dtype(self.dtype).name} in the FFT (its sum is not finite); "
                "rescale it or use float64"
            )
        raise ValueError("density must be finite; it contains NaN or inf")

    def _forward(self, density, check_finite, potential=True):
        """(rho_hat in mpi4py-fft's output buffer, Green's function, force symbols, potential unit)."""
        src, unit = self._check_density(density)
        # the flags decide which collectives run: a rank that disagreed would hang the others
        same_on_all_ranks(self.mesh.comm, "check_finite and potential", (bool(check_finite), bool(potential)))
        green, hats = self._tables()
        with abort_on_error(self.mesh.comm, "Poisson solve: forward FFT"):
            X = self._fft.forward(src, normalize=False)
        if check_finite:
            self._check_finite(src, X)
        return X, green, hats, unit

    def solve_forces(self, density, *, check_finite=True, potential=True):
        """Potential and forces of this rank's block of `density`.  Collective.

        Parameters
        ----------
        density : ndarray or Quantity, ``mesh.local_shape``
            This rank's block of the density (units as the serial solver).
        check_finite : bool
            Raise (on every rank) for NaN/inf in the density.
        potential : bool
            Also return the potential.

        Returns
        -------
        phi : ndarray or Quantity, ``mesh.local_shape``, or None
        forces : tuple of ndarrays or Quantities ``mesh.local_shape``, one per axis, unit ``[phi] / length``
        """
        X, green, hats, unit = self._forward(density, check_finite, potential)
        Xg = X * green  # G rho_hat / N (X is mpi4py-fft's own buffer, which the inverse transforms reuse)
        cdt = complex_dtype(self.dtype)
        forces = []
        with abort_on_error(self.mesh.comm, "Poisson solve: inverse FFTs"):
            for m in hats:
                np.multiply(Xg, m.astype(cdt, copy=False), out=self._fft.backward.input_array)
                out = np.empty(self.mesh.local_shape, dtype=self.dtype)
                forces.append(self._fft.backward(None, out, normalize=False))
            phi = None
            if potential:
                self._fft.backward.input_array[...] = Xg
                phi = self._fft.backward(None, np.empty(self.mesh.local_shape, dtype=self.dtype), normalize=False)
        funit = self._force_unit(unit)
        return (None if phi is None else attach(phi, unit)), tuple(attach(f, funit) for f in forces)

    def solve(self, density, *, check_finite=True):
        """Potential of this rank's block of `density` (zero mean).  Collective."""
        X, green, _, unit = self._forward(density, check_finite)
        X *= green
        with abort_on_error(self.mesh.comm, "Poisson solve: inverse FFT"):
            phi = self._fft.backward(None, np.empty(self.mesh.local_shape, dtype=self.dtype), normalize=False)
        return attach(phi, unit)

    def forces(self, density, *, check_finite=True):
        """Force per unit mass ``-grad phi``, one block per axis.  Collective."""
        return self.solve_forces(density, check_finite=check_finite, potential=False)[1]


def _solver(density, mesh, kernel, green, order, points, scheme, differencing, G):
    """A solver for this call: G defaults as in serial (1, or astropy's G once the density or box has units)."""
    with agree_on_errors(mesh.comm, "Poisson solve: density units and dtype"):
        src, dunit = strip(density, "density")
        if G is None and (dunit is not None or mesh.unit is not None):
            from astropy import constants

            G = constants.G
        dt = result_dtype(np.asarray(src).dtype, name="density")
    same_on_all_ranks(mesh.comm, "the density's dtype", str(dt))
    return DistributedPoissonSolver(mesh, kernel=kernel, green=green, order=order, points=points, scheme=scheme,
                                    differencing=differencing, G=G, dtype=dt)


def solve_poisson(density, mesh, *, kernel=None, green=None, order=2, points=None, scheme="cic", G=None):
    """Periodic potential of a distributed density.  Collective.

    Parameters
    ----------
    density : ndarray or Quantity, ``mesh.local_shape``
        This rank's block of the density.
    mesh : DistributedMesh
    kernel, green, order, points, scheme, G
        As :func:`fieldconv.solve_poisson` with ``bc="periodic"`` (G defaults
        to 1, or to ``astropy.constants.G`` when the density or the box carries
        units).

    Returns
    -------
    ndarray or Quantity, ``mesh.local_shape``
        This rank's block of the potential; float32 for float32 input.
    """
    return _solver(density, mesh, kernel, green, order, points, scheme, "spectral", G).solve(density)


def solve_forces(density, mesh, *, kernel=None, green=None, order=2, points=None, scheme="cic",
                 differencing="spectral", G=None):
    """Periodic potential and forces ``-grad phi`` of a distributed density.  Collective.

    Returns
    -------
    phi : ndarray or Quantity, ``mesh.local_shape``
    forces : tuple of ndarrays or Quantities, one per axis, unit ``[phi] / length``
    """
    return _solver(density, mesh, kernel, green, order, points, scheme, differencing, G).solve_forces(density)
