"""Compiled CPU kernels of :mod:`fieldconv.stencil` (imported on first use, run inside ``backend.kernel_threads``).

One kernel applies any sparse stencil ("taps") to a C-contiguous 3-D array
(1-D and 2-D fields are viewed as 3-D with leading axes of length 1).  Taps
are grouped by their offset on the two outer axes: each group is one source
line ``f[i+di, j+dj, :]`` and the taps of the group are offsets ``dk`` along
the contiguous axis.  The output line stays in L1 cache while every group
is added into it, so the only traffic of the field size is one read of the
input (neighbouring lines are cache hits) and one write of the output: no
temporaries beyond the output.  Parallel over (i, j) lines.

Boundary codes: 0 periodic, 1 dirichlet (antisymmetric ghost about the
boundary face), 2 neumann (symmetric ghost about the boundary face).

Compilation (the policy of :mod:`fieldconv._jit`): each kernel compiles on
first use for the dtype of that call only; the input is passed as a
read-only view, so writable and read-only fields share one specialisation.
The helper ``_map`` is left to LLVM to inline: inlining it at numba's IR
level (``inline="always"``) made each parallel kernel compile 5-6x slower for
the same machine code speed.  ``_apply`` zeroes each output line and then
adds every tap (one loop nest instead of an assign and an add copy of it:
about 30 % less to compile; the sums are the same, in the same order).
"""

import numpy as np

from .._jit import jit, prange, readonly

__all__ = ["apply_taps"]


@jit
def _map(i, n, bc):
    """Source index and sign of (possibly ghost) index `i` on an axis of length `n`."""
    if 0 <= i < n:
        return i, 1.0
    if bc == 0:
        return i % n, 1.0
    s = -1.0 if bc == 1 else 1.0
    if i < 0:
        return -1 - i, s
    return 2 * n - 1 - i, s


@jit(parallel=True)
def _apply(f, out, line_d0, line_d1, start, tap_dk, tap_w, bc):
    n0, n1, n2 = f.shape
    nlines = line_d0.shape[0]
    for p in prange(n0 * n1):
        i = p // n1
        j = p - i * n1
        o = out[i, j]
        for k in range(n2):
            o[k] = 0.0
        for L in range(nlines):
            ii, si = _map(i + line_d0[L], n0, bc)
            jj, sj = _map(j + line_d1[L], n1, bc)
            src = f[ii, jj]
            s = si * sj
            for t in range(start[L], start[L + 1]):
                d = tap_dk[t]
                w = tap_w[t] * s
                lo = min(max(-d, 0), n2)
                hi = max(min(n2 - d, n2), lo)
                # views starting at 0 let LLVM drop the negative-index check and vectorise
                a = o[lo:hi]
                b = src[lo + d : hi + d]
                for k in range(hi - lo):
                    a[k] += w * b[k]
                for k in range(0, lo):
                    kk, sk = _map(k + d, n2, bc)
                    o[k] += w * sk * src[kk]
                for k in range(hi, n2):
                    kk, sk = _map(k + d, n2, bc)
                    o[k] += w * sk * src[kk]


@jit(parallel=True)
def _star3d_r1(f, out, w0, w1, w2, c, bc):
    n0, n1, n2 = f.shape
    m = n2 - 2
    for p in prange(n0 * n1):
        i = p // n1
        j = p - i * n1
        o = out[i, j]
        a = f[i, j]
        ii, s_x0p1 = _map(i + 1, n0, bc)
        x0p1 = f[ii, j]
        q_x0p1 = w0[1] * s_x0p1
        ii, s_x0m1 = _map(i - 1, n0, bc)
        x0m1 = f[ii, j]
        q_x0m1 = w0[1] * s_x0m1
        jj, s_x1p1 = _map(j + 1, n1, bc)
        x1p1 = f[i, jj]
        q_x1p1 = w1[1] * s_x1p1
        jj, s_x1m1 = _map(j - 1, n1, bc)
        x1m1 = f[i, jj]
        q_x1m1 = w1[1] * s_x1m1
        e1 = w2[1]
        oc = o[1:n2 - 1]
        ac = a[1:n2 - 1]
        ap1 = a[1+1:n2 - 1+1]
        am1 = a[1-1:n2 - 1-1]
        v_x0p1 = x0p1[1:n2 - 1]
        v_x0m1 = x0m1[1:n2 - 1]
        v_x1p1 = x1p1[1:n2 - 1]
        v_x1m1 = x1m1[1:n2 - 1]
        for k in range(m):
            oc[k] = c * ac[k] + e1 * (ap1[k] + am1[k]) + q_x0p1 * v_x0p1[k] + q_x0m1 * v_x0m1[k] + q_x1p1 * v_x1p1[k] + q_x1m1 * v_x1m1[k]
        for kk in range(2):
            k = kk if kk < 1 else n2 - 2 + kk
            acc = c * a[k]
            for s in range(1, 2):
                kp, sp = _map(k + s, n2, bc)
                km, sm = _map(k - s, n2, bc)
                acc += w2[s] * (sp * a[kp] + sm * a[km])
            acc += q_x0p1 * x0p1[k] + q_x0m1 * x0m1[k]
            acc += q_x1p1 * x1p1[k] + q_x1m1 * x1m1[k]
            o[k] = acc


_STAR = {1: _star3d_r1}

_BC = {"periodic": 0, "dirichlet": 1, "neumann": 2}


def apply_star3d(f3, out3, weights, bc):
    """3-D 7-point star stencil in one pass: `weights[a][m]` for offset +-m on axis a (m = 0 unused), centre c.

    Only radius 1 has a one-pass kernel (the common case, and compile time
    matters: each radius is a separate parallel kernel); wider stencils use
    :func:`apply_taps`.

    `weights` is (w0, w1, w2, c) with w_a float64 arrays of length r + 1.
    Needs n2 >= 2 r (the caller checks; smaller last axes use :func:`apply_taps`).
    """
    w0, w1, w2, c = weights
    r = len(w2) - 1
    _STAR[r](readonly(f3), out3, w0, w1, w2, float(c), _BC[bc])
    return out3


def apply_taps(f3, out3, taps, bc):
    """Apply `taps` (list of ((d0, d1, d2), weight)) to 3-D C-contiguous `f3` into `out3`."""
    groups = {}
    for (d0, d1, d2), w in taps:
        groups.setdefault((d0, d1), []).append((d2, w))
    keys = sorted(groups)
    line_d0 = np.array([k[0] for k in keys], dtype=np.int64)
    line_d1 = np.array([k[1] for k in keys], dtype=np.int64)
    start = np.zeros(len(keys) + 1, dtype=np.int64)
    dk, wt = [], []
    for n, key in enumerate(keys):
        for d2, w in sorted(groups[key]):
            dk.append(d2)
            wt.append(w)
        start[n + 1] = len(dk)
    _apply(readonly(f3), out3, line_d0, line_d1, start, np.array(dk, dtype=np.int64), np.array(wt, dtype=np.float64), _BC[bc])
    return out3
