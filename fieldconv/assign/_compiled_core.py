"""Numba kernels of :mod:`fieldconv.assign`, shared part: cells, B-spline weights, stencils, sums.

Imported on first use only; the painters (:mod:`._compiled_paint`), the
readout (:mod:`._compiled_readout`) and the bucket sort
(:mod:`._compiled_bucket`) are built on these.  Callers run the parallel
kernels inside ``backend.kernel_threads()`` (the package's thread policy).

Conventions (see ``docs/assign.md``): grid coordinate ``u = (x - origin)/h``;
a scheme of order ``p`` (1 NGP, 2 CIC, 3 TSC, 4 PCS) touches the cells
``c - (p-1)//2 + k``, ``k = 0..p-1``, where ``c = floor(u - shift)``,
``shift = 1/2`` for even ``p`` and 0 for odd ``p``, with weights given by the
B-spline of order ``p`` evaluated at ``f = u - shift - c`` in ``[0, 1]``.
Every index is int64, the coordinate is float64 whatever the input dtype.

Painting is parallel without atomics and deterministic: the rows of the
leading mesh axis are split into one contiguous range per thread, and each
thread adds only the taps that fall in its rows.  Each mesh element is
therefore written by one thread, in an order fixed by the input alone: the
mesh is the same bit for bit for any number of threads and any row split
(the split is only balanced on a sample of the particles).  Input sorted by
leading cell is painted in particle order, each thread reading only the
particles near its rows; unsorted input on a mesh larger than a core's cache
is first binned by slab of leading rows (``BIN_BLOCK`` particles at a time,
a stable counting sort over fixed sub-blocks) and painted slab by slab, in
(block, slab, particle) order; unsorted input on a small mesh is streamed
whole by every thread, in particle order.  Mass dropped outside a
non-periodic mesh is summed in the pre-pass over fixed blocks of 4096
particles, in block order.
"""

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic, overload

_NJ = dict(cache=True, fastmath=False, nogil=True)


def _like(mesh, v):  # pragma: no cover - replaced by the overload in compiled code
    return mesh.dtype.type(v)


@overload(_like, jit_options=dict(cache=True))
def _like_impl(mesh, v):
    """v rounded to the mesh dtype, so the addition runs in the mesh dtype."""
    dt = mesh.dtype

    def impl(mesh, v):
        return dt(v)

    return impl


@intrinsic
def _prefetchw(typingctx, arr, flat):
    """Hint that element `flat` of the C-contiguous `arr` is about to be written.

    LLVM's ``llvm.prefetch`` (write, high locality, data cache), declared
    unmangled so that LLVM's auto-upgrade names it for its pointer type.
    A hint only: it never faults and never changes a result.
    """
    sig = types.void(arr, flat)

    def codegen(context, builder, signature, args):
        ary = context.make_array(signature.args[0])(context, builder, args[0])
        ptr = builder.gep(ary.data, [args[1]])
        i8p = ir.IntType(8).as_pointer()
        i32 = ir.IntType(32)
        fnty = ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.prefetch")
        builder.call(fn, [builder.bitcast(ptr, i8p), i32(1), i32(3), i32(1)])
        return context.get_dummy_value()

    return sig, codegen


@njit(**_NJ)
def _bspline(p, f, w, a):
    """Weights of the order-p B-spline at fraction f in [0, 1] into w[a, :p]."""
    if p == 1:
        w[a, 0] = 1.0
    elif p == 2:
        w[a, 0] = 1.0 - f
        w[a, 1] = f
    elif p == 3:
        d = f - 0.5
        w[a, 0] = 0.5 * (0.5 - d) * (0.5 - d)
        w[a, 1] = 0.75 - d * d
        w[a, 2] = 0.5 * (0.5 + d) * (0.5 + d)
    else:
        g = 1.0 - f
        f2 = f * f
        g2 = g * g
        w[a, 0] = g2 * g / 6.0
        w[a, 1] = (4.0 - 6.0 * f2 + 3.0 * f2 * f) / 6.0
        w[a, 2] = (4.0 - 6.0 * g2 + 3.0 * g2 * g) / 6.0
        w[a, 3] = f2 * f / 6.0


@njit(**_NJ)
def _bspline_deriv(p, f, w, a):
    """d/du of the weights (per grid unit) into w[a, :p]."""
    if p == 1:
        w[a, 0] = 0.0
    elif p == 2:
        w[a, 0] = -1.0
        w[a, 1] = 1.0
    elif p == 3:
        d = f - 0.5
        w[a, 0] = -(0.5 - d)
        w[a, 1] = -2.0 * d
        w[a, 2] = 0.5 + d
    else:
        g = 1.0 - f
        w[a, 0] = -0.5 * g * g
        w[a, 1] = (-12.0 * f + 9.0 * f * f) / 6.0
        w[a, 2] = -(-12.0 * g + 9.0 * g * g) / 6.0
        w[a, 3] = 0.5 * f * f


@njit(**_NJ)
def _wrapped(x, org, invh, shift, nf):
    """Grid coordinate of position `x` on a periodic axis of `nf` cells, wrapped into [0, nf) in float64."""
    t = (np.float64(x) - org) * invh - shift
    if not (t >= 0.0 and t < nf):
        t = t - nf * np.floor(t / nf)
        if t < 0.0:
            t += nf
        if t >= nf:
            t -= nf
        if not (t >= 0.0 and t < nf):
            t = 0.0
    return t


@njit(inline="always", **_NJ)
def _wrap_index(j, n):
    """Cell index `j` (a few cells outside at most) wrapped into [0, n)."""
    while j < 0:
        j += n
    while j >= n:
        j -= n
    return j


@njit(**_NJ)
def _cell(pos, cells, use_cells, i, a, org, invh, shift, n, periodic, p):
    """(cell c, fraction f, far) of particle i on axis a.

    far is True when a non-periodic particle lies so far outside that none of
    its window can touch the mesh (then c and f are meaningless).
    """
    nf = float(n)
    if use_cells:
        t = pos[i, a] - shift
        fl = np.floor(t)
        c = cells[i, a] + np.int64(fl)
        f = t - fl
        if periodic:
            c = c % n
            return c, f, False
        if c < -p - 1 or c > n + p + 1:
            return np.int64(0), 0.0, True
        return c, f, False
    if periodic:
        t = _wrapped(pos[i, a], org, invh, shift, nf)
    else:
        t = (np.float64(pos[i, a]) - org) * invh - shift
        if not (t > -p - 1.0 and t < nf + p + 1.0):
            return np.int64(0), 0.0, True
    fl = np.floor(t)
    return np.int64(fl), t - fl, False


@njit(**_NJ)
def _stencil(pos, cells, use_cells, i, ndim, org, invh, shift, shape, strides, periodic, p, idx, w, deriv, r0, r1):
    """Fill idx[a, k] (flat offsets, -1 outside a non-periodic mesh) and w[a, k].

    On axis 0, rows outside [r0, r1) are marked -1 as well (the rows another
    thread owns).  With deriv >= 0, axis `deriv` gets derivative weights.
    Returns far.
    """
    half = (p - 1) // 2
    for a in range(ndim):
        n = shape[a]
        c, f, far = _cell(pos, cells, use_cells, i, a, org[a], invh[a], shift, n, periodic, p)
        if far:
            return True
        if a == deriv:
            _bspline_deriv(p, f, w, a)
        else:
            _bspline(p, f, w, a)
        for k in range(p):
            j = c - half + k
            if periodic:
                j = _wrap_index(j, n)
                if a == 0 and not (r0 <= j < r1):
                    idx[a, k] = -1
                else:
                    idx[a, k] = j * strides[a]
            elif j < 0 or j >= n or (a == 0 and not (r0 <= j < r1)):
                idx[a, k] = -1
            else:
                idx[a, k] = j * strides[a]
    return False


@njit(**_NJ)
def _deposit(mesh, ndim, p, idx, w, m):
    """Add m * prod_a w[a, k_a] at the flat offsets (negative offsets skipped)."""
    if ndim == 1:
        for k0 in range(p):
            v = m * w[0, k0]
            if idx[0, k0] >= 0:
                mesh[idx[0, k0]] += _like(mesh, v)
    elif ndim == 2:
        for k0 in range(p):
            v0 = m * w[0, k0]
            i0 = idx[0, k0]
            for k1 in range(p):
                v = v0 * w[1, k1]
                i1 = idx[1, k1]
                if i0 >= 0 and i1 >= 0:
                    mesh[i0 + i1] += _like(mesh, v)
    else:
        for k0 in range(p):
            v0 = m * w[0, k0]
            i0 = idx[0, k0]
            for k1 in range(p):
                v1 = v0 * w[1, k1]
                i1 = idx[1, k1]
                for k2 in range(p):
                    v = v1 * w[2, k2]
                    i2 = idx[2, k2]
                    if i0 >= 0 and i1 >= 0 and i2 >= 0:
                        mesh[i0 + i1 + i2] += _like(mesh, v)


@njit(**_NJ)
def _gather(mesh, ndim, p, idx, w):
    """sum prod_a w[a, k_a] * mesh[offset] (cells outside a non-periodic mesh read 0)."""
    acc = 0.0
    if ndim == 1:
        for k0 in range(p):
            if idx[0, k0] >= 0:
                acc += w[0, k0] * mesh[idx[0, k0]]
    elif ndim == 2:
        for k0 in range(p):
            i0 = idx[0, k0]
            if i0 < 0:
                continue
            s = 0.0
            for k1 in range(p):
                i1 = idx[1, k1]
                if i1 >= 0:
                    s += w[1, k1] * mesh[i0 + i1]
            acc += w[0, k0] * s
    else:
        for k0 in range(p):
            i0 = idx[0, k0]
            if i0 < 0:
                continue
            s0 = 0.0
            for k1 in range(p):
                i1 = idx[1, k1]
                if i1 < 0:
                    continue
                s1 = 0.0
                for k2 in range(p):
                    i2 = idx[2, k2]
                    if i2 >= 0:
                        s1 += w[2, k2] * mesh[i0 + i1 + i2]
                s0 += w[1, k1] * s1
            acc += w[0, k0] * s0
    return acc


# ----------------------------------------------------------------- checks
@njit(**_NJ)
def _dropped(ndim, p, idx, w, m):
    """Mass of the taps with a negative (outside) offset."""
    tot = 0.0
    for k0 in range(p):
        v0 = m * w[0, k0]
        o0 = idx[0, k0] < 0
        if ndim == 1:
            if o0:
                tot += v0
            continue
        for k1 in range(p):
            v1 = v0 * w[1, k1]
            o1 = o0 or idx[1, k1] < 0
            if ndim == 2:
                if o1:
                    tot += v1
                continue
            for k2 in range(p):
                if o1 or idx[2, k2] < 0:
                    tot += v1 * w[2, k2]
    return tot




@njit(**_NJ)
def _strides(shape):
    ndim = shape.shape[0]
    strides = np.ones(ndim, dtype=np.int64)
    for a in range(ndim - 2, -1, -1):
        strides[a] = strides[a + 1] * shape[a + 1]
    return strides



@njit(**_NJ)
def _cic_axis(x, org, invh, n, nf):
    """Periodic CIC taps on one axis: (cell, next cell, fraction) with nf = float(n)."""
    t = _wrapped(x, org, invh, 0.5, nf)
    c = np.int64(t)
    cb = c + 1
    if cb == n:
        cb = 0
    return c, cb, t - c




@njit(**_NJ)
def _tsc_axis(x, org, invh, n):
    """Periodic TSC taps on one axis: (rows, weights) as 3-tuples."""
    t = _wrapped(x, org, invh, 0.0, float(n))
    c = np.int64(t)
    d = (t - c) - 0.5
    ja = c - 1
    if ja < 0:
        ja += n
    jc = c + 1
    if jc == n:
        jc = 0
    return (ja, c, jc), (0.5 * (0.5 - d) * (0.5 - d), 0.75 - d * d, 0.5 * (0.5 + d) * (0.5 + d))


@njit(**_NJ)
def _kind(ndim, p, periodic, use_cells, shape):
    """Which row painter: 2 unrolled 3-D CIC, 3 unrolled 3-D TSC, 0 generic."""
    if ndim == 3 and periodic and not use_cells and shape[0] >= p and shape[1] >= p and shape[2] >= p:
        if p == 2 or p == 3:
            return p
    return 0
