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

import numpy as np

from .._dtypes import complex_dtype, result_dtype
from .._units import attach
from ._mpi import mpi
from .agreement import abort_on_error, agree_on_errors, same_on_all_ranks

__all__ = ["DistributedPoissonSolver", "solve_poisson", "solve_forces"]


class DistributedPoissonSolver:
    """Reusable periodic Poisson solver on a :class:`DistributedMesh`.

    Parameters
    ----------
    mesh : DistributedMesh
        The grid (its spacing is the solver's).
    kernel, green, order, points, window, differencing, images, G
        As :class:`fieldconv.PoissonSolver` with ``bc="periodic"``.
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

    def __init__(self, mesh, *, kernel=None, green=None, order=2, points=None, window="cic",
                 differencing="spectral", images=2, G=1.0, dtype=None):
        from ._serial import BlockGreens

        self.mesh = mesh
        with agree_on_errors(mesh.comm, "DistributedPoissonSolver: check arguments"):
            dt = mesh.dtype if dtype is None else result_dtype(dtype, name="dtype")
            self._greens = BlockGreens(mesh.shape, mesh.spacing, mesh.k_slice, kernel=kernel, green=green,
                                       order=order, points=points, window=window, differencing=differencing,
                                       images=images, G=G, dtype=dt)
        g = self._greens
        same_on_all_ranks(mesh.comm, "the solver's kernel, Green's function, options, G and dtype",
                          (g.kernel, g.green, g.order, g.points, g.window, g.differencing, g.images, g.G, str(g.dtype)))
        self.dtype, self.kernel, self.green, self.G = g.dtype, g.kernel, g.green, g.G
        self.order, self.differencing = g.order, g.differencing
        self._fft = mesh.fft(self.dtype)
        self._owns_k0 = all(s.start == 0 for s in mesh.k_slice)
        self._green = None
        self._hats = None

    def _tables(self):
        if self._green is None:
            with agree_on_errors(self.mesh.comm, "DistributedPoissonSolver: Green's function"):
                self._green = self._greens.green_block(self.dtype)
                self._hats = self._greens.force_symbols()
        return self._green, self._hats

    def _check_source(self, source):
        mesh = self.mesh
        with agree_on_errors(mesh.comm, "Poisson solve: check the source"):
            src = np.asarray(source)
            if tuple(src.shape) != mesh.local_shape:
                raise ValueError(f"source must be this rank's block of shape {mesh.local_shape}; got {tuple(src.shape)}")
            result_dtype(src.dtype, name="source")  # TypeError for complex / non-numeric
            src = np.ascontiguousarray(src, dtype=self.dtype)
        return src

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
                f"source overflows {np.dtype(self.dtype).name} in the FFT (its sum is not finite); "
                "rescale it or use float64"
            )
        raise ValueError("source must be finite; it contains NaN or inf")

    def _forward(self, source, check_finite, potential=True):
        """(rho_hat in mpi4py-fft's output buffer, Green's function, force symbols) of a checked source."""
        src = self._check_source(source)
        # the flags decide which collectives run: a rank that disagreed would hang the others
        same_on_all_ranks(self.mesh.comm, "check_finite and potential", (bool(check_finite), bool(potential)))
        green, hats = self._tables()
        with abort_on_error(self.mesh.comm, "Poisson solve: forward FFT"):
            X = self._fft.forward(src, normalize=False)
        if check_finite:
            self._check_finite(src, X)
        return X, green, hats

    def solve_forces(self, source, *, check_finite=True, potential=True):
        """Potential and forces of this rank's block of `source`.  Collective.

        Parameters
        ----------
        source : ndarray ``mesh.local_shape``
            This rank's block of the density.
        check_finite : bool
            Raise (on every rank) for NaN/inf in the source.
        potential : bool
            Also return the potential.

        Returns
        -------
        phi : ndarray ``mesh.local_shape`` or None
        forces : tuple of ndarrays ``mesh.local_shape``, one per axis
        """
        X, green, hats = self._forward(source, check_finite, potential)
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
        return phi, tuple(forces)

    def solve(self, source, *, check_finite=True):
        """Potential of this rank's block of `source` (zero mean).  Collective."""
        X, green, _ = self._forward(source, check_finite)
        X *= green
        with abort_on_error(self.mesh.comm, "Poisson solve: inverse FFT"):
            return self._fft.backward(None, np.empty(self.mesh.local_shape, dtype=self.dtype), normalize=False)

    def forces(self, source, *, check_finite=True):
        """Force per unit mass ``-grad phi``, one block per axis.  Collective."""
        return self.solve_forces(source, check_finite=check_finite, potential=False)[1]


def _units(source, mesh, G, kernel):
    from ._serial import units_in

    power = 1 if kernel == "thin-disk" else 2
    spacing = mesh.spacing if mesh.unit is None else np.asarray(mesh.spacing) * mesh.unit
    src, _sp, g, unit = units_in(source, spacing, G, power)
    return src, g, unit


def _solver(src, mesh, kernel, green, order, points, window, differencing, g):
    with agree_on_errors(mesh.comm, "Poisson solve: source dtype"):
        dt = result_dtype(np.asarray(src).dtype, name="source")
    same_on_all_ranks(mesh.comm, "the source dtype", str(dt))
    return DistributedPoissonSolver(mesh, kernel=kernel, green=green, order=order, points=points, window=window,
                                    differencing=differencing, G=g, dtype=dt)


def solve_poisson(source, mesh, *, kernel=None, green=None, order=2, points=None, window="cic", G=None):
    """Periodic potential of a distributed density.  Collective.

    Parameters
    ----------
    source : ndarray or Quantity, ``mesh.local_shape``
        This rank's block of the density.
    mesh : DistributedMesh
    kernel, green, order, points, window, G
        As :func:`fieldconv.solve_poisson` with ``bc="periodic"`` (G defaults
        to 1, or to ``astropy.constants.G`` when the source or the box carries
        units).

    Returns
    -------
    ndarray or Quantity, ``mesh.local_shape``
        This rank's block of the potential; float32 for float32 input.
    """
    src, g, unit = _units(source, mesh, G, kernel)
    solver = _solver(src, mesh, kernel, green, order, points, window, "spectral", g)
    return attach(solver.solve(src), unit)


def solve_forces(source, mesh, *, kernel=None, green=None, order=2, points=None, window="cic",
                 differencing="spectral", G=None):
    """Periodic potential and forces ``-grad phi`` of a distributed density.  Collective.

    Returns
    -------
    phi : ndarray or Quantity, ``mesh.local_shape``
    forces : tuple of ndarrays or Quantities, one per axis, unit ``[phi] / length``
    """
    src, g, unit = _units(source, mesh, G, kernel)
    solver = _solver(src, mesh, kernel, green, order, points, window, differencing, g)
    phi, forces = solver.solve_forces(src)
    if unit is None:
        return phi, forces
    funit = unit / mesh.unit if mesh.unit is not None else unit
    return attach(phi, unit), tuple(attach(f, funit) for f in forces)
