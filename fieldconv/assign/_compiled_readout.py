"""Numba readout of :mod:`fieldconv.assign`: the interpolant (or its gradient) at particle positions.

Each value is computed by one thread, so the result does not depend on the
thread count; the unrolled periodic 3-D CIC/TSC blocks sum in the same order
as the generic :func:`_gather`.
"""

import numpy as np
from numba import njit, prange

from ._compiled_core import _NJ, _cic_axis, _gather, _kind, _stencil, _strides, _tsc_axis

@njit(parallel=True, **_NJ)
def readout_kernel(mesh, pos, cells, use_cells, org, invh, shape, periodic, p, deriv, scale, out):
    """out[i] = scale * (interpolant or its derivative along `deriv`) at particle i."""
    n = pos.shape[0]
    ndim = pos.shape[1]
    strides = _strides(shape)
    nblk = (n + 4095) // 4096
    kind = _kind(ndim, p, periodic, use_cells, shape) if deriv < 0 else 0
    for b in prange(nblk):
        if kind == 2:
            _readout_cic3_block(mesh, pos, org, invh, shape, strides, scale, out, b * 4096, min(n, (b + 1) * 4096))
        elif kind == 3:
            _readout_tsc3_block(mesh, pos, org, invh, shape, strides, scale, out, b * 4096, min(n, (b + 1) * 4096))
        else:
            _readout_block(mesh, pos, cells, use_cells, org, invh, shape, strides, periodic, p, deriv, scale, out,
                           b * 4096, min(n, (b + 1) * 4096))


@njit(**_NJ)
def _readout_cic3_block(mesh, pos, org, invh, shape, strides, scale, out, i0, i1):
    """Unrolled periodic 3-D CIC readout: the same sums in the same order as _gather."""
    n0 = shape[0]
    n1 = shape[1]
    n2 = shape[2]
    s0 = strides[0]
    s1 = strides[1]
    o0, o1, o2 = org[0], org[1], org[2]  # scalars: out[i] could alias org/invh for the compiler
    h0, h1, h2 = invh[0], invh[1], invh[2]
    f0n, f1n, f2n = float(n0), float(n1), float(n2)
    for i in range(i0, i1):
        c0, c0b, f0 = _cic_axis(pos[i, 0], o0, h0, n0, f0n)
        c1, c1b, f1 = _cic_axis(pos[i, 1], o1, h1, n1, f1n)
        c2, c2b, f2 = _cic_axis(pos[i, 2], o2, h2, n2, f2n)
        g2 = 1.0 - f2
        acc = 0.0
        for k0 in range(2):
            base = c0 * s0 if k0 == 0 else c0b * s0
            w0 = 1.0 - f0 if k0 == 0 else f0
            a = base + c1 * s1
            b = base + c1b * s1
            s = 0.0
            s1a = 0.0
            s1a += g2 * mesh[a + c2]
            s1a += f2 * mesh[a + c2b]
            s += (1.0 - f1) * s1a
            s1b = 0.0
            s1b += g2 * mesh[b + c2]
            s1b += f2 * mesh[b + c2b]
            s += f1 * s1b
            acc += w0 * s
        out[i] = scale * acc


@njit(**_NJ)
def _readout_tsc3_block(mesh, pos, org, invh, shape, strides, scale, out, i0, i1):
    """Unrolled periodic 3-D TSC readout: the same sums in the same order as _gather."""
    s0 = strides[0]
    s1 = strides[1]
    o0, o1, o2 = org[0], org[1], org[2]
    h0, h1, h2 = invh[0], invh[1], invh[2]
    n0, n1, n2 = shape[0], shape[1], shape[2]
    for i in range(i0, i1):
        j0, w0 = _tsc_axis(pos[i, 0], o0, h0, n0)
        j1, w1 = _tsc_axis(pos[i, 1], o1, h1, n1)
        j2, w2 = _tsc_axis(pos[i, 2], o2, h2, n2)
        acc = 0.0
        for k0 in range(3):
            b0 = j0[k0] * s0
            s = 0.0
            for k1 in range(3):
                b1 = b0 + j1[k1] * s1
                r = 0.0
                r += w2[0] * mesh[b1 + j2[0]]
                r += w2[1] * mesh[b1 + j2[1]]
                r += w2[2] * mesh[b1 + j2[2]]
                s += w1[k1] * r
            acc += w0[k0] * s
        out[i] = scale * acc


@njit(**_NJ)
def _readout_block(mesh, pos, cells, use_cells, org, invh, shape, strides, periodic, p, deriv, scale, out, i0, i1):
    ndim = pos.shape[1]
    shift = 0.5 if p % 2 == 0 else 0.0
    idx = np.empty((3, 4), dtype=np.int64)
    w = np.empty((3, 4), dtype=np.float64)
    for i in range(i0, i1):
        far = _stencil(pos, cells, use_cells, i, ndim, org, invh, shift, shape, strides,
                       periodic, p, idx, w, deriv, 0, shape[0])
        if far:
            out[i] = 0.0
        else:
            out[i] = scale * _gather(mesh, ndim, p, idx, w)


# ---------------------------------------------------------------- bucket
