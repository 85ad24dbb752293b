"""Particle-mesh mass assignment: paint / readout (an exact adjoint pair), windows,
compensation and interlacing.

Conventions (stated once; details in ``docs/assign.md``)
---------------------------------------------------------
* **Cell-centred mesh.**  Along an axis of length ``L`` with ``n`` cells of
  size ``h = L/n``, mesh element ``i`` is the cell ``[i h, (i+1) h)`` (plus
  ``origin``) with its centre at ``(i + 1/2) h``: the same grids as the
  Poisson solver.  The grid coordinate of a position ``x`` is
  ``u = (x - origin) / h``, always computed in float64.
* **Schemes.**  ``"ngp"``, ``"cic"``, ``"tsc"``, ``"pcs"`` have order
  ``p = 1, 2, 3, 4``: the window is the ``p``-fold convolution of the
  one-cell box (the cardinal B-spline of degree ``p-1``), applied per axis.
  Cell ``j`` receives ``m * prod_a W_p(u_a - j_a - 1/2)``.  A particle at a
  cell centre puts all its mass in that cell for NGP and CIC; for TSC it puts
  3/4 there and 1/8 in each neighbour, for PCS 2/3 and 1/6 (a B-spline of
  order >= 3 is not interpolating; this is what the p-fold box means).
* **paint** returns the mass per cell (``density=True``: per unit volume,
  divided by ``prod(h)``).  **readout** is its exact adjoint:
  ``<paint(w), f> = <w, readout(f)>``; with the same scheme it interpolates
  ``f`` with the window.  :func:`readout_gradient` is the exact gradient of
  that interpolant (the energy-conserving force interpolation).
* **Periodic** (default): positions anywhere are wrapped with a float64
  floor/modulo, so ``x = L``, float32 ``x`` just below ``L``, negative
  positions and positions many boxes away all land in cells ``0..n-1``.
  **Non-periodic**: the mesh is a window onto an infinite grid; a particle is
  *outside* when its window reaches a cell outside the mesh (for NGP: ``u``
  outside ``[0, n)``; CIC ``[1/2, n-1/2]``; TSC ``[1, n-1]``; PCS
  ``[3/2, n-3/2]``).  Outside particles raise ``ValueError`` (how many,
  min/max per axis) unless ``outside="drop"``, which drops the part of the
  mass that falls outside the mesh and returns it in a :class:`Painted`.
* Index arithmetic is int64 everywhere (meshes beyond ``2**31`` elements).
* Units: a Quantity ``box_size`` (a length) converts Quantity positions to
  its unit; Quantity positions with a plain box raise ``ValueError``.  The
  mesh carries the weights' unit (per ``box_size.unit**d`` with
  ``density=True``); readout carries the field's unit.

Layout: :mod:`._paint` (paint, paint_chunks), :mod:`._readout` (readout,
readout_gradient), :mod:`._fourier` (window, compensate,
paint_interlaced), :mod:`._bucket`, :mod:`._inputs` (checks and geometry),
:mod:`._generic` (the array-API/GPU path), ``_compiled_*`` (numba
kernels).  The scheme table and B-spline windows are in
:mod:`fieldconv._windows`.

Examples
--------
>>> import numpy as np
>>> from fieldconv.assign import paint, readout
>>> pos = np.array([[0.5, 0.5], [2.0, 3.0]])
>>> mesh = paint(pos, box_size=4.0, shape=(4, 4), scheme="cic")
>>> float(mesh.sum())
2.0
>>> float(mesh[0, 0])
1.0
>>> readout(mesh, pos, box_size=4.0, scheme="ngp")
array([1.  , 0.25])
"""


from .._windows import SCHEMES
from ._bucket import bucket
from ._fourier import compensate, paint_interlaced, window
from ._paint import Painted, paint, paint_chunks
from ._readout import readout, readout_gradient

__all__ = [
    "SCHEMES",
    "Painted",
    "paint",
    "paint_chunks",
    "paint_interlaced",
    "readout",
    "readout_gradient",
    "bucket",
    "window",
    "compensate",
]
