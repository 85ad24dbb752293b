"""Numba readout of :mod:`fieldconv.assign`: the interpolant (or its gradient) at particle positions.

Readers share one signature, ``reader(meshes, pos, cells, geo, opt, scale,
out, rows, use_rows, i0, i1)``: for particles ``i0 .. i1-1`` of `pos`, write
row ``rows[i]`` (or ``i``) of `out`.  `meshes` is a tuple of flat meshes of
one shape, read with one stencil per particle: value readers write
``out[r, f]`` for mesh ``f``; gradient readers (one mesh) write
``out[r, a]``, the derivative along axis ``a``.  Each value is computed by
one thread from the particle alone, so the result does not depend on the
thread count or on the order in which particles are visited; the unrolled
periodic 3-D CIC/TSC readers sum in the same order as the generic
:func:`_gather`.

Unsorted particles on a mesh larger than a core's cache are binned by slab of
leading rows (:mod:`._compiled_bin`, with their indices) and read slab by
slab, the slab's rows swept into cache first; results are written back to
the particles' rows.
"""

import numpy as np

from . import _compiled_bin as _bins
from . import _pool
from ._compiled_core import (
    _bspline_deriv,
    _cic_axis,
    _gather,
    _stencil,
    _sweep,
    _tsc_axis,
    kernel,
    strides_of,
    unrolled_kind,
)
from ._compiled_paint import lead_sorted

__all__ = ["readout_kernel"]


# ------------------------------------------------------------------ values
@kernel
def read_generic(meshes, pos, cells, geo, opt, scale, out, rows, use_rows, i0, i1):
    """Any dimension, scheme and boundary; cells outside a non-periodic mesh read 0."""
    org, invh, shape, strides = geo
    periodic, p, use_cells = opt[0], opt[1], opt[2]
    ndim = pos.shape[1]
    nf = len(meshes)
    shift = 0.5 if p % 2 == 0 else 0.0
    idx = np.empty((3, 4), dtype=np.int64)
    w = np.empty((3, 4), dtype=np.float64)
    fr = np.empty(3, dtype=np.float64)
    for i in range(i0, i1):
        r = rows[i] if use_rows else i
        far = _stencil(pos, cells, use_cells, i, ndim, org, invh, shift, shape, strides, periodic, p, idx, w, fr,
                       0, shape[0])
        for f in range(nf):
            out[r, f] = 0.0 if far else scale * _gather(meshes[f], ndim, p, idx, w)


@kernel
def read_cic3(meshes, pos, cells, geo, opt, scale, out, rows, use_rows, i0, i1):
    """Unrolled periodic 3-D CIC: the same sums in the same order as :func:`_gather`."""
    org, invh, shape, strides = geo
    nf = len(meshes)
    n0, n1, n2 = shape[0], shape[1], shape[2]
    s0 = strides[0]
    s1 = strides[1]
    o0, o1, o2 = org[0], org[1], org[2]  # scalars: out[r] could alias org/invh for the compiler
    h0, h1, h2 = invh[0], invh[1], invh[2]
    f0n, f1n, f2n = float(n0), float(n1), float(n2)
    for i in range(i0, i1):
        r = rows[i] if use_rows else i
        c0, c0b, f0 = _cic_axis(pos[i, 0], o0, h0, n0, f0n)
        c1, c1b, f1 = _cic_axis(pos[i, 1], o1, h1, n1, f1n)
        c2, c2b, f2 = _cic_axis(pos[i, 2], o2, h2, n2, f2n)
        g0 = 1.0 - f0
        g1 = 1.0 - f1
        g2 = 1.0 - f2
        aa = c0 * s0 + c1 * s1
        ab = c0 * s0 + c1b * s1
        ba = c0b * s0 + c1 * s1
        bb = c0b * s0 + c1b * s1
        for f in range(nf):
            mesh = meshes[f]
            s = 0.0
            t = 0.0
            t += g2 * mesh[aa + c2]
            t += f2 * mesh[aa + c2b]
            s += g1 * t
            t = 0.0
            t += g2 * mesh[ab + c2]
            t += f2 * mesh[ab + c2b]
            s += f1 * t
            acc = 0.0
            acc += g0 * s
            s = 0.0
            t = 0.0
            t += g2 * mesh[ba + c2]
            t += f2 * mesh[ba + c2b]
            s += g1 * t
            t = 0.0
            t += g2 * mesh[bb + c2]
            t += f2 * mesh[bb + c2b]
            s += f1 * t
            acc += f0 * s
            out[r, f] = scale * acc


@kernel
def read_tsc3(meshes, pos, cells, geo, opt, scale, out, rows, use_rows, i0, i1):
    """Unrolled periodic 3-D TSC: the same sums in the same order as :func:`_gather`."""
    org, invh, shape, strides = geo
    nf = len(meshes)
    s0 = strides[0]
    s1 = strides[1]
    o0, o1, o2 = org[0], org[1], org[2]
    h0, h1, h2 = invh[0], invh[1], invh[2]
    n0, n1, n2 = shape[0], shape[1], shape[2]
    for i in range(i0, i1):
        r = rows[i] if use_rows else i
        j0, w0, _ = _tsc_axis(pos[i, 0], o0, h0, n0)
        j1, w1, _ = _tsc_axis(pos[i, 1], o1, h1, n1)
        j2, w2, _ = _tsc_axis(pos[i, 2], o2, h2, n2)
        for f in range(nf):
            mesh = meshes[f]
            acc = 0.0
            for k0 in range(3):
                b0 = j0[k0] * s0
                s = 0.0
                for k1 in range(3):
                    b1 = b0 + j1[k1] * s1
                    t = 0.0
                    t += w2[0] * mesh[b1 + j2[0]]
                    t += w2[1] * mesh[b1 + j2[1]]
                    t += w2[2] * mesh[b1 + j2[2]]
                    s += w1[k1] * t
                acc += w0[k0] * s
            out[r, f] = scale * acc


# --------------------------------------------------------------- gradients
@kernel
def _gather_grad(mesh, ndim, p, idx, w, dw, g):
    """g[a] = sum over the taps of mesh * dw[a] * prod_{b != a} w[b] (one pass over the taps)."""
    for a in range(ndim):
        g[a] = 0.0
    if ndim == 1:
        for k0 in range(p):
            if idx[0, k0] >= 0:
                g[0] += dw[0, k0] * mesh[idx[0, k0]]
    elif ndim == 2:
        for k0 in range(p):
            i0 = idx[0, k0]
            if i0 < 0:
                continue
            sw = 0.0
            sd = 0.0
            for k1 in range(p):
                i1 = idx[1, k1]
                if i1 >= 0:
                    v = mesh[i0 + i1]
                    sw += w[1, k1] * v
                    sd += dw[1, k1] * v
            g[0] += dw[0, k0] * sw
            g[1] += w[0, k0] * sd
    else:
        for k0 in range(p):
            i0 = idx[0, k0]
            if i0 < 0:
                continue
            tww = 0.0
            tdw = 0.0
            twd = 0.0
            for k1 in range(p):
                i1 = idx[1, k1]
                if i1 < 0:
                    continue
                sw = 0.0
                sd = 0.0
                for k2 in range(p):
                    i2 = idx[2, k2]
                    if i2 >= 0:
                        v = mesh[i0 + i1 + i2]
                        sw += w[2, k2] * v
                        sd += dw[2, k2] * v
                tww += w[1, k1] * sw
                tdw += dw[1, k1] * sw
                twd += w[1, k1] * sd
            g[0] += dw[0, k0] * tww
            g[1] += w[0, k0] * tdw
            g[2] += w[0, k0] * twd


@kernel
def grad_generic(meshes, pos, cells, geo, opt, scale, out, rows, use_rows, i0, i1):
    """Gradient of the interpolant of meshes[0], any dimension, scheme and boundary."""
    org, invh, shape, strides = geo
    periodic, p, use_cells = opt[0], opt[1], opt[2]
    mesh = meshes[0]
    ndim = pos.shape[1]
    shift = 0.5 if p % 2 == 0 else 0.0
    idx = np.empty((3, 4), dtype=np.int64)
    w = np.empty((3, 4), dtype=np.float64)
    dw = np.empty((3, 4), dtype=np.float64)
    fr = np.empty(3, dtype=np.float64)
    g = np.empty(3, dtype=np.float64)
    for i in range(i0, i1):
        r = rows[i] if use_rows else i
        far = _stencil(pos, cells, use_cells, i, ndim, org, invh, shift, shape, strides, periodic, p, idx, w, fr,
                       0, shape[0])
        if far:
            for a in range(ndim):
                out[r, a] = 0.0
            continue
        for a in range(ndim):
            _bspline_deriv(p, fr[a], dw, a)
        _gather_grad(mesh, ndim, p, idx, w, dw, g)
        for a in range(ndim):
            out[r, a] = scale * invh[a] * g[a]


@kernel
def grad_cic3(meshes, pos, cells, geo, opt, scale, out, rows, use_rows, i0, i1):
    """Unrolled periodic 3-D CIC gradient (derivative weights -1, +1 per axis)."""
    org, invh, shape, strides = geo
    mesh = meshes[0]
    n0, n1, n2 = shape[0], shape[1], shape[2]
    s0 = strides[0]
    s1 = strides[1]
    o0, o1, o2 = org[0], org[1], org[2]
    h0, h1, h2 = invh[0], invh[1], invh[2]
    f0n, f1n, f2n = float(n0), float(n1), float(n2)
    for i in range(i0, i1):
        r = rows[i] if use_rows else i
        c0, c0b, f0 = _cic_axis(pos[i, 0], o0, h0, n0, f0n)
        c1, c1b, f1 = _cic_axis(pos[i, 1], o1, h1, n1, f1n)
        c2, c2b, f2 = _cic_axis(pos[i, 2], o2, h2, n2, f2n)
        g1 = 1.0 - f1
        g2 = 1.0 - f2
        aa = c0 * s0 + c1 * s1
        ab = c0 * s0 + c1b * s1
        ba = c0b * s0 + c1 * s1
        bb = c0b * s0 + c1b * s1
        # along axis 2: the interpolated value and the difference on each of the four lines
        v0, v1 = mesh[aa + c2], mesh[aa + c2b]
        saa, daa = g2 * v0 + f2 * v1, v1 - v0
        v0, v1 = mesh[ab + c2], mesh[ab + c2b]
        sab, dab = g2 * v0 + f2 * v1, v1 - v0
        v0, v1 = mesh[ba + c2], mesh[ba + c2b]
        sba, dba = g2 * v0 + f2 * v1, v1 - v0
        v0, v1 = mesh[bb + c2], mesh[bb + c2b]
        sbb, dbb = g2 * v0 + f2 * v1, v1 - v0
        # along axis 1, then axis 0
        ta, tb = g1 * saa + f1 * sab, g1 * sba + f1 * sbb
        out[r, 0] = scale * h0 * (tb - ta)
        out[r, 1] = scale * h1 * ((1.0 - f0) * (sab - saa) + f0 * (sbb - sba))
        out[r, 2] = scale * h2 * ((1.0 - f0) * (g1 * daa + f1 * dab) + f0 * (g1 * dba + f1 * dbb))


@kernel
def grad_tsc3(meshes, pos, cells, geo, opt, scale, out, rows, use_rows, i0, i1):
    """Unrolled periodic 3-D TSC gradient."""
    org, invh, shape, strides = geo
    mesh = meshes[0]
    s0 = strides[0]
    s1 = strides[1]
    o0, o1, o2 = org[0], org[1], org[2]
    h0, h1, h2 = invh[0], invh[1], invh[2]
    n0, n1, n2 = shape[0], shape[1], shape[2]
    for i in range(i0, i1):
        r = rows[i] if use_rows else i
        j0, w0, f0 = _tsc_axis(pos[i, 0], o0, h0, n0)
        j1, w1, f1 = _tsc_axis(pos[i, 1], o1, h1, n1)
        j2, w2, f2 = _tsc_axis(pos[i, 2], o2, h2, n2)
        d0 = (f0 - 1.0, -2.0 * (f0 - 0.5), f0)  # _bspline_deriv, p = 3
        d1 = (f1 - 1.0, -2.0 * (f1 - 0.5), f1)  # _bspline_deriv, p = 3
        d2 = (f2 - 1.0, -2.0 * (f2 - 0.5), f2)  # _bspline_deriv, p = 3
        ga = 0.0
        gb = 0.0
        gc = 0.0
        for k0 in range(3):
            b0 = j0[k0] * s0
            tww = 0.0
            tdw = 0.0
            twd = 0.0
            for k1 in range(3):
                b1 = b0 + j1[k1] * s1
                va = mesh[b1 + j2[0]]
                vb = mesh[b1 + j2[1]]
                vc = mesh[b1 + j2[2]]
                sw = w2[0] * va + w2[1] * vb + w2[2] * vc
                sd = d2[0] * va + d2[1] * vb + d2[2] * vc
                tww += w1[k1] * sw
                tdw += d1[k1] * sw
                twd += w1[k1] * sd
            ga += d0[k0] * tww
            gb += w0[k0] * tdw
            gc += w0[k0] * twd
        out[r, 0] = scale * h0 * ga
        out[r, 1] = scale * h1 * gb
        out[r, 2] = scale * h2 * gc


# ------------------------------------------------------------ slab driver
@kernel
def _slabs(gen, cic, tsc, grad, meshes, buf, cells, geo, opt, scale, out, ibuf, start, s0, s1, rshift):
    """Read the binned particles of slabs [s0, s1), each slab's rows swept into cache first.

    The reader is chosen by which of `gen`, `cic`, `tsc` is not None and by
    `grad` (None for values): numba prunes the other branches before typing.
    """
    shape = geo[2]
    strides = geo[3]
    p = opt[1]
    n0 = shape[0]
    row_lines = max(1, strides[0] * meshes[0].itemsize // 64)
    reach = p // 2  # the taps of a particle in leading row g lie in rows g - p//2 .. g + p//2
    swept = 0  # rows below this were swept for the previous slab and are still in cache
    sink = 0.0
    for s in range(s0, s1):
        cnt = start[s + 1] - start[s]
        if cnt == 0:
            continue
        a = max(0, (s << rshift) - reach)
        b = min(n0, ((s + 1) << rshift) + reach)
        if cnt * p * p >= (b - a) * row_lines:
            lo = max(a, swept)
            if b > lo:
                for f in range(len(meshes)):
                    sink += _sweep(meshes[f], lo * strides[0], b * strides[0])
            swept = b
        i0 = start[s]
        i1 = start[s + 1]
        if grad is None:
            if gen is not None:
                read_generic(meshes, buf, cells, geo, opt, scale, out, ibuf, True, i0, i1)
            if cic is not None:
                read_cic3(meshes, buf, cells, geo, opt, scale, out, ibuf, True, i0, i1)
            if tsc is not None:
                read_tsc3(meshes, buf, cells, geo, opt, scale, out, ibuf, True, i0, i1)
        if grad is not None:
            if gen is not None:
                grad_generic(meshes, buf, cells, geo, opt, scale, out, ibuf, True, i0, i1)
            if cic is not None:
                grad_cic3(meshes, buf, cells, geo, opt, scale, out, ibuf, True, i0, i1)
            if tsc is not None:
                grad_tsc3(meshes, buf, cells, geo, opt, scale, out, ibuf, True, i0, i1)
    return sink


#: (gradient, kind) -> the reader; kind -> the selector of :func:`_slabs`
READERS = {(False, 0): read_generic, (False, 2): read_cic3, (False, 3): read_tsc3,
           (True, 0): grad_generic, (True, 2): grad_cic3, (True, 3): grad_tsc3}
SELECT = {0: (True, None, None), 2: (None, True, None), 3: (None, None, True)}


# ------------------------------------------------------------ orchestration
def readout_kernel(meshes, pos, cells, use_cells, org, invh, shape, periodic, p, grad, scale, out):
    """Fill `out` (N, nf) with the readouts of the flat `meshes` (or (N, d) with the gradient of meshes[0]).

    Run inside ``backend.kernel_threads()``.  Unsorted particles on meshes
    totalling at least ``BIN_MIN_BYTES`` are binned by slab first (a block
    of positions and indices as scratch).
    """
    n = pos.shape[0]
    if n == 0:
        return
    shape = np.asarray(shape, dtype=np.int64)
    n0 = int(shape[0])
    meshes = tuple(meshes)
    geo = (np.asarray(org, np.float64), np.asarray(invh, np.float64), shape, strides_of(shape))
    opt = (bool(periodic), int(p), bool(use_cells), False, 1.0)
    kind = unrolled_kind(pos.shape[1], p, periodic, use_cells, shape)
    reader = READERS[(bool(grad), kind)]
    nt = _pool.num_threads(max(1, n // 4096))
    nbytes = sum(int(m.nbytes) for m in meshes)
    no_rows = np.zeros(1, dtype=np.int64)
    if (use_cells or nbytes < _bins.BIN_MIN_BYTES or n < _bins.BIN_SUB
            or lead_sorted(pos, float(org[0]), float(invh[0]), n0, nt)):
        cut = _pool.split(n, nt)
        _pool.run(lambda t: reader(meshes, pos, cells, geo, opt, scale, out, no_rows, False, cut[t], cut[t + 1]), nt)
        return
    rshift = _bins.slab_shift(shape, nbytes // max(1, int(np.prod(shape))))
    binner = _bins.Binner(pos, np.zeros(1, pos.dtype), False, True, float(org[0]), float(invh[0]), n0, periodic, rshift, nt)
    for a, e, start in binner.blocks():
        buf = binner.buf[: e - a]
        # contiguous slab ranges, balanced on the particle counts
        cut = np.searchsorted(start, (e - a) * np.arange(1, nt) / nt, side="left").tolist()
        cut = [0, *cut, binner.nslab]
        _pool.run(lambda t: _slabs(*SELECT[kind], True if grad else None, meshes, buf, cells, geo, opt, scale, out,
                                   binner.ibuf, start, cut[t], max(cut[t], cut[t + 1]), rshift), nt)
