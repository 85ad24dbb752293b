"""Numba kernels of :mod:`fieldconv.assign`, shared part: cells, B-spline weights, stencils, sums.

Imported on first use only; the painters (:mod:`._compiled_paint`), the
readers (:mod:`._compiled_readout`), the checks (:mod:`._compiled_scan`),
the slab binning (:mod:`._compiled_bin`) and the bucket sort
(:mod:`._compiled_bucket`) are built on these.

Conventions (see ``docs/assign.md``): grid coordinate ``u = (x - origin)/h``;
a scheme of order ``p`` (1 NGP, 2 CIC, 3 TSC, 4 PCS) touches the cells
``c - (p-1)//2 + k``, ``k = 0..p-1``, where ``c = floor(u - shift)``,
``shift = 1/2`` for even ``p`` and 0 for odd ``p``, with weights given by the
B-spline of order ``p`` evaluated at ``f = u - shift - c`` in ``[0, 1]``.
Every index is int64, the coordinate is float64 whatever the input dtype.

Compilation: every kernel is a plain serial ``nogil`` function (no
``parallel=True``: a parfor costs seconds of compilation each); the threads
are run from Python by :mod:`._pool`.  A call compiles only the kernels it
runs: the choice between the unrolled 3-D CIC/TSC kernels and the generic
one is made in Python, and the slab drivers receive the kernel as an
argument from a module-level wrapper per kernel (a wrapper's signature holds
arrays only, so it is cached on disk; a dispatcher passed from Python would
not be).  The decorators are :data:`kernel` and :data:`inline_kernel`, the
one place where the numba options of this family are set.

Geometry and options travel as two tuples: ``geo = (org, invh, shape,
strides)`` (float64, float64, int64, int64 arrays of length d) and ``opt =
(periodic, p, use_cells, use_w, wscale)``.
"""


import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic, overload

__all__ = ["kernel", "inline_kernel"]

#: The numba options of every kernel of this family (one place; a package-wide policy replaces it).
_OPTIONS = dict(cache=True, fastmath=False, nogil=True)
kernel = njit(**_OPTIONS)
inline_kernel = njit(inline="always", **_OPTIONS)

#: Above this magnitude (in cells) a non-periodic (cell + offset) is outside any mesh.
_FAR = 2.0**60


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


@kernel
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


@kernel
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


@kernel
def _wrapped(x, org, invh, shift, nf):
    """Grid coordinate of position `x` on a periodic axis of `nf` cells, less `shift`, wrapped into [0, nf).

    The coordinate ``(x - org) / h`` is wrapped first, with the exact ``fmod``,
    and shifted after, so a position many boxes away (even beyond 2**53
    cells, where a shift of 1/2 would round away) lands where it is.
    """
    u = (np.float64(x) - org) * invh
    if not (u >= 0.0 and u < nf):
        u = np.fmod(u, nf)
        if u < 0.0:
            u += nf
        if u >= nf:  # a tiny negative u plus nf rounds to nf
            u -= nf
        if not (u >= 0.0 and u < nf):  # non-finite: refused by the pre-pass; never an index out of range
            u = 0.0
    t = u - shift
    if t < 0.0:
        t += nf
        if t >= nf:
            t -= nf
    return t


@inline_kernel
def _wrap_index(j, n):
    """Cell index `j` (a few cells outside at most) wrapped into [0, n)."""
    while j < 0:
        j += n
    while j >= n:
        j -= n
    return j


@kernel
def _cell_of(cell, off, shift, n, periodic, p):
    """(cell c, fraction f, far) of the position ``cell + off`` (cells) on an axis of `n` cells.

    Exact for every int64 `cell` and finite `off`: the offset is split into
    its integer part ``fo = floor(off)`` (an integer double) and ``off - fo``
    in [0, 1) (exact), so the cell index is integer arithmetic and only the
    fraction ``f`` is rounded.  Periodic: ``(cell mod n + fmod(fo, n) + k) mod n``
    (``fmod`` of two doubles is exact).  Non-periodic: ``cell + fo + k`` formed
    without overflow (split in halves beyond 2**62); anything beyond 2**60
    cells is far.
    """
    fo = np.floor(off)
    t = (off - fo) - shift  # in [-1/2, 1)
    k = np.floor(t)  # -1 or 0
    f = t - k
    if periodic:
        cm = cell % n  # numba follows Python: in [0, n) for n > 0
        fm = np.int64(np.fmod(fo, np.float64(n)))  # exact (C fmod), |fm| < n
        return (cm + fm + np.int64(k)) % n, f, False
    approx = np.float64(cell) + fo
    if not (abs(approx) < _FAR):
        return np.int64(0), 0.0, True
    if abs(fo) < 4.0 * _FAR:
        c = cell + np.int64(fo)
    else:  # |fo| in [2**62, 2**64): fo is even, its half fits in int64, and so does cell + half
        half = np.int64(fo * 0.5)
        c = (cell + half) + half
    c += np.int64(k)
    if c < -p - 1 or c > n + p + 1:
        return np.int64(0), 0.0, True
    return c, f, False


@kernel
def _cell(pos, cells, use_cells, i, a, org, invh, shift, n, periodic, p):
    """(cell c, fraction f, far) of particle i on axis a.

    far is True when a non-periodic particle lies so far outside that none of
    its window can touch the mesh (then c and f are meaningless).
    """
    if use_cells:
        return _cell_of(cells[i, a], np.float64(pos[i, a]), shift, n, periodic, p)
    nf = float(n)
    if periodic:
        t = _wrapped(pos[i, a], org, invh, shift, nf)
    else:
        t = (np.float64(pos[i, a]) - org) * invh - shift
        if not (t > -p - 1.0 and t < nf + p + 1.0):
            return np.int64(0), 0.0, True
    fl = np.floor(t)
    return np.int64(fl), t - fl, False


@kernel
def _stencil(pos, cells, use_cells, i, ndim, org, invh, shift, shape, strides, periodic, p, idx, w, fr, r0, r1):
    """Fill idx[a, k] (flat offsets, -1 outside a non-periodic mesh), w[a, k] and fr[a] (the fractions).

    On axis 0, rows outside [r0, r1) are marked -1 as well (the rows another
    thread owns).  Returns far; a far particle has every offset of every
    axis marked -1, so whatever a caller does with it touches no cell.
    """
    half = (p - 1) // 2
    for a in range(ndim):
        n = shape[a]
        c, f, far = _cell(pos, cells, use_cells, i, a, org[a], invh[a], shift, n, periodic, p)
        if far:
            for b in range(ndim):
                for k in range(p):
                    idx[b, k] = -1
                    w[b, k] = 0.0
            return True
        fr[a] = f
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


@kernel
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


@kernel
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


@kernel
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


@kernel
def _cic_axis(x, org, invh, n, nf):
    """Periodic CIC taps on one axis: (cell, next cell, fraction) with nf = float(n)."""
    t = _wrapped(x, org, invh, 0.5, nf)
    c = np.int64(t)
    cb = c + 1
    if cb == n:
        cb = 0
    return c, cb, t - c


@kernel
def _tsc_axis(x, org, invh, n):
    """Periodic TSC taps on one axis: (rows, weights, fraction) with rows and weights 3-tuples."""
    t = _wrapped(x, org, invh, 0.0, float(n))
    c = np.int64(t)
    f = t - c
    d = f - 0.5
    ja = c - 1
    if ja < 0:
        ja += n
    jc = c + 1
    if jc == n:
        jc = 0
    return (ja, c, jc), (0.5 * (0.5 - d) * (0.5 - d), 0.75 - d * d, 0.5 * (0.5 + d) * (0.5 + d)), f


@inline_kernel
def _lead_row(pos, i, org0, invh0, n0, periodic):
    """Leading NGP row of particle i: wrapped when periodic, clamped into [0, n0) otherwise."""
    if periodic:
        t = _wrapped(pos[i, 0], org0, invh0, 0.0, float(n0))
        return np.int64(t)
    t = (np.float64(pos[i, 0]) - org0) * invh0
    if t >= 0.0 and t < n0:
        return np.int64(t)
    if t >= n0:
        return n0 - 1
    return np.int64(0)


@kernel
def _sweep(mesh, a, b):
    """Read one element per 64-byte line of mesh[a:b] (a cache warm-up; the sum is discarded)."""
    step = max(1, 64 // mesh.itemsize)
    acc = 0.0
    for j in range(a, b, step):
        acc += mesh[j]
    return acc


def strides_of(shape):
    """C strides (in elements) of `shape`, int64."""
    shape = np.asarray(shape, dtype=np.int64)
    strides = np.ones(shape.shape[0], dtype=np.int64)
    for a in range(shape.shape[0] - 2, -1, -1):
        strides[a] = strides[a + 1] * shape[a + 1]
    return strides


def unrolled_kind(ndim, p, periodic, use_cells, shape):
    """Which kernel: 2 the unrolled 3-D CIC, 3 the unrolled 3-D TSC, 0 the generic one."""
    if ndim == 3 and periodic and not use_cells and min(int(n) for n in shape) >= p and p in (2, 3):
        return p
    return 0
