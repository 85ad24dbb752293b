"""Everything the distributed mode takes from the serial package, imported in one place.

The serial operators are reused, not rewritten: each rank paints and reads
out its block with :func:`fieldconv.assign.paint` / ``readout`` /
``readout_gradient``, and its periodic Green's function comes from the
serial :class:`~fieldconv.poisson.PoissonSolver` (argument checks, the
continuous, discrete and optimal Green's functions, the force symbols),
evaluated on the rank's block of wavenumbers by :class:`BlockGreens`.

Private serial names used (to be exposed properly by the restructure):
``PoissonSolver._green_host`` (overridden here), ``._optimal``, ``._dsym``,
``._cached_green``, ``._cached_forces``; ``poisson._kaxis``,
``poisson._bshape``, ``poisson._units_in``; ``stencil._laplacian_taps``,
``stencil._phase_cos_sin``; ``_green.continuous_green``; ``assign._order``;
``backend._pyfftw._normalise_effort``.
"""

import math

import numpy as np

from .. import _green
from ..assign import _order, bucket, paint, readout, readout_gradient
from ..backend._pyfftw import _normalise_effort
from ..poisson import PoissonSolver, _bshape, _kaxis, _units_in
from ..stencil import _laplacian_taps, _phase_cos_sin

__all__ = [
    "scheme_order",
    "bucket",
    "paint",
    "readout",
    "readout_gradient",
    "PoissonSolver",
    "BlockGreens",
    "units_in",
    "planner_effort",
]

scheme_order = _order  # "cic" -> 2; TypeError / ValueError as the serial paint
units_in = _units_in  # (source, spacing, G, power) -> plain values and the potential's unit
planner_effort = _normalise_effort  # None -> FIELDCONV_FFTW_PLANNER or FFTW_MEASURE; ValueError otherwise


class BlockGreens(PoissonSolver):
    """A periodic serial :class:`PoissonSolver` whose Green's function and force
    symbols cover one block of the ``rfftn`` layout only.

    Parameters
    ----------
    shape, spacing
        The global grid.
    block : tuple of slices
        This rank's part of the ``rfftn``-layout array of `shape` (the last
        axis has ``n // 2 + 1`` entries).
    **options
        As :class:`PoissonSolver` (``bc`` is always "periodic", ``backend``
        "numpy": the tables are host arrays).

    Notes
    -----
    Every table is built from the serial 1-D axis tables sliced to the block,
    combined by the same formulas in the same order, so that the block equals
    the corresponding block of the serial table.  The serial code zeroes the
    ``k = 0`` entry as ``g.flat[0]``, the first element of its array; to keep
    that true of a block that does not start at ``k = 0``, the optimal
    influence function is evaluated on the block with mode 0 prepended on
    every axis, and the extra entries dropped.
    """

    def __init__(self, shape, spacing, block, **options):
        super().__init__(shape, spacing, bc="periodic", backend="numpy", **options)
        self._block = tuple(block)
        self._sel = self._index()

    def _index(self, with_zero=False):
        sel = []
        for a, (n, s) in enumerate(zip(self.shape, self._block)):
            m = n // 2 + 1 if a == self.ndim - 1 else n
            idx = np.arange(m)[s]
            sel.append(np.concatenate([[0], idx]) if with_zero else idx)
        return sel

    def _dsym(self, a, rfft):
        return super()._dsym(a, rfft)[self._sel[a]]

    def _ks(self):
        nd = self.ndim
        return [
            _kaxis(n, h, a == nd - 1)[self._sel[a]].reshape(_bshape(a, nd))
            for a, (n, h) in enumerate(zip(self.shape, self.spacing))
        ]

    def _laplacian_block(self):
        """laplacian_symbol(shape, spacing, order, points, rfft=True) on the block."""
        nd = self.ndim
        taps, _ = _laplacian_taps(nd, self.spacing, self.order, self.points)
        lam = np.zeros(tuple(len(s) for s in self._sel))
        for off, w in taps:
            term = np.full((1,) * nd, w)
            for a, (n, m) in enumerate(zip(self.shape, off)):
                c, _s = _phase_cos_sin(n, m, a == nd - 1)
                term = term * c[self._sel[a]].reshape(_bshape(a, nd))
            lam = lam + term
        return lam

    def _has_zero_mode(self):
        return all(s.size and s[0] == 0 for s in self._sel)

    def _green_host(self):
        """The serial periodic branch of PoissonSolver._green_host, on the block."""
        ks = self._ks()
        if self.green == "continuous":
            return self.G * _green.continuous_green(self.kernel, sum(k * k for k in ks))
        if self.green == "discrete":
            lam = self._laplacian_block()
            if self._has_zero_mode():
                lam.flat[0] = 0.0
            c = 4.0 * math.pi if self.kernel == "newton" else 2.0 * math.pi
            with np.errstate(divide="ignore"):
                g = np.where(lam != 0, c / lam, 0.0)
            if self._has_zero_mode():
                g.flat[0] = 0.0
            return self.G * g
        block_sel = self._sel
        self._sel = self._index(with_zero=True)
        try:
            g = self._optimal(self._ks())
        finally:
            self._sel = block_sel
        return self.G * g[(slice(1, None),) * self.ndim]

    def green_block(self, dtype):
        """G(k) / prod(shape) on the block, in `dtype` (the 1/N of the unnormalised inverse FFT folded in)."""
        g = self._cached_green()
        return g if g.dtype == dtype else g.astype(dtype)

    def force_symbols(self):
        """-i d_a(k) per axis on the block (complex host arrays, broadcastable)."""
        return self._cached_forces()
