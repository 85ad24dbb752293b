"""Independent references for the fuzz tests (SciPy, NumPy, exact small-size computations).

Nothing here calls fieldconv: each reference is built from its definition
(docs/conventions.md, the module docstrings) with scipy.ndimage,
scipy.signal, ``np.add.at`` or dense linear algebra on small grids.
"""

import math

import numpy as np
import scipy.ndimage as ndi

# ----------------------------------------------------------------- convolution


_PAD = {"reflect": "symmetric", "mirror": "reflect", "nearest": "edge", "wrap": "wrap", "constant": "constant"}


def ndi_convolve(field, w, *, mode="reflect", cval=0.0, correlate=False):
    """scipy.ndimage.convolve/correlate in float64 (fieldconv's default origin is ndimage's 0), IEEE on every tap.

    scipy.ndimage.convolve leaves zero weights out of its footprint, so a NaN under a zero tap does not
    reach the output there; fieldconv (and ndimage.convolve1d) multiply every tap, NaN * 0 = NaN.  The
    finite values come from scipy.ndimage; the non-finite ones from the explicit sum over all taps.
    """
    f = np.asarray(field, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    fn = ndi.correlate if correlate else ndi.convolve
    with np.errstate(all="ignore"):
        ref = fn(np.where(np.isfinite(f), f, 0.0), w, mode=mode, cval=cval if np.isfinite(cval) else 0.0)
        if np.isfinite(f).all() and np.isfinite(cval):
            return fn(f, w, mode=mode, cval=cval)
        full = ieee_correlate(f, w if correlate else w[tuple(slice(None, None, -1) for _ in w.shape)], mode, cval,
                              shift=0 if correlate else 1)
    return np.where(np.isfinite(full), ref, full)


def ieee_correlate(f, w, mode, cval, shift=0):
    """sum_j w[j] f[i + j - c] over every tap (IEEE: NaN * 0 = NaN), c = n//2 (minus 1 on even axes if shift)."""
    if f.size == 0:
        return f.copy()
    centers = [n // 2 - (shift if n % 2 == 0 else 0) for n in w.shape]
    pads = [(c, n - 1 - c) for c, n in zip(centers, w.shape)]
    kw = {"constant_values": cval} if mode == "constant" else {}
    g = np.pad(f, pads, mode=_PAD[mode], **kw)
    out = np.zeros(f.shape)
    for j in np.ndindex(*w.shape):
        out = out + w[j] * g[tuple(slice(jj, jj + n) for jj, n in zip(j, f.shape))]
    return out


def ndi_1d(field, w, axis, *, mode="reflect", cval=0.0, origin=0, correlate=False):
    f = np.asarray(field, dtype=np.float64)
    fn = ndi.correlate1d if correlate else ndi.convolve1d
    with np.errstate(all="ignore"):
        return fn(f, np.asarray(w, np.float64), axis=axis, mode=mode, cval=cval, origin=origin)


def conv_atol(field, w, dtype, n_fft=1):
    """Bound on |method - exact| for a sum of K products in `dtype` (direct: K eps; FFT: ~eps log2 N).

    4 * (K + log2 N + 8) * eps * sum|w| * max|f|: each of the K products and the
    log2 N butterfly levels adds at most one rounding of the running scale
    sum|w| max|f|, plus the casts of the input and output (the 8), with a factor 4
    for the constants of the FFT bound.
    """
    f = np.asarray(field, dtype=np.float64)
    fin = np.abs(f[np.isfinite(f)])
    scale = (float(fin.max()) if fin.size else 0.0) * float(np.abs(np.asarray(w, float)).sum())
    k = np.asarray(w).size
    return 4.0 * (k + math.log2(max(n_fft, 2)) + 8) * float(np.finfo(dtype).eps) * max(scale, 1e-300)


# -------------------------------------------------------------------- stencils

#: central second-difference weights (offsets -r..r) of order 2, 4, 6
D2 = {
    2: [1.0, -2.0, 1.0],
    4: [-1 / 12, 4 / 3, -5 / 2, 4 / 3, -1 / 12],
    6: [1 / 90, -3 / 20, 3 / 2, -49 / 18, 3 / 2, -3 / 20, 1 / 90],
}
#: central first-difference weights (offsets -r..r) of order 2, 4, 6
D1 = {
    2: [-1 / 2, 0.0, 1 / 2],
    4: [1 / 12, -2 / 3, 0.0, 2 / 3, -1 / 12],
    6: [-1 / 60, 3 / 20, -3 / 4, 0.0, 3 / 4, -3 / 20, 1 / 60],
}


def ghost_pad(f, r, bc, axis):
    """Pad `axis` by r ghost cells: periodic, dirichlet (odd mirror about the face), neumann (even)."""
    f = np.asarray(f, np.float64)
    pad = [(0, 0)] * f.ndim
    pad[axis] = (r, r)
    if bc == "periodic":
        return np.pad(f, pad, mode="wrap")
    g = np.pad(f, pad, mode="symmetric")  # f[-1-m] = f[m]
    if bc == "dirichlet":
        idx = [slice(None)] * f.ndim
        idx[axis] = slice(0, r)
        g[tuple(idx)] *= -1
        idx[axis] = slice(g.shape[axis] - r, None)
        g[tuple(idx)] *= -1
    return g


def stencil_apply(f, weights, spacing_pow, bc, axis):
    """sum_m w[m] f[i + m] / spacing_pow along axis with ghosts of `bc`."""
    r = len(weights) // 2
    g = ghost_pad(f, r, bc, axis)
    n = np.asarray(f).shape[axis]
    out = np.zeros(np.asarray(f).shape)
    for m, wm in enumerate(weights):
        if wm == 0:  # a tap with no weight does not read its sample (a NaN there stays out)
            continue
        sl = [slice(None)] * g.ndim
        sl[axis] = slice(m, m + n)
        out += wm * g[tuple(sl)]
    return out / spacing_pow


def laplacian_dense(shape, spacing, order):
    """Dense periodic star Laplacian matrix (row-major flattening) of a small grid."""
    ndim = len(shape)
    h = np.broadcast_to(np.asarray(spacing, float), (ndim,))
    total = np.zeros((int(np.prod(shape)),) * 2)
    for a, n in enumerate(shape):
        one = np.zeros((n, n))
        w = D2[order]
        r = len(w) // 2
        for i in range(n):
            for m, wm in enumerate(w):
                one[i, (i + m - r) % n] += wm
        one /= h[a] ** 2
        mats = [np.eye(shape[b]) if b != a else one for b in range(ndim)]
        k = mats[0]
        for mat in mats[1:]:
            k = np.kron(k, mat)
        total += k
    return total


# ------------------------------------------------------------ mass assignment
_ORDER = {"ngp": 1, "cic": 2, "tsc": 3, "pcs": 4}


def bspline(p, t):
    """Centred cardinal B-spline of order p (NGP 1 .. PCS 4) at t (cells), exact piecewise polynomials."""
    t = abs(t)
    if p == 1:
        return 1.0 if t < 0.5 else (0.5 if t == 0.5 else 0.0)
    if p == 2:
        return max(0.0, 1.0 - t)
    if p == 3:
        if t < 0.5:
            return 0.75 - t * t
        if t < 1.5:
            return 0.5 * (1.5 - t) ** 2
        return 0.0
    if p == 4:
        if t < 1.0:
            return (4.0 - 6.0 * t * t + 3.0 * t**3) / 6.0
        if t < 2.0:
            return (2.0 - t) ** 3 / 6.0
        return 0.0
    raise ValueError(p)


def ngp_cell(u):
    """NGP cell of grid coordinate u: [j, j+1) -> j (the half-open cell)."""
    return math.floor(u)


def taps(u, p):
    """(cells j, weights) of a particle at grid coordinate u: cell j holds W_p(u - j - 1/2)."""
    if p == 1:
        return [ngp_cell(u)], [1.0]
    lo = math.floor(u - p / 2.0)
    cells, ws = [], []
    for j in range(lo, lo + p + 2):
        w = bspline(p, u - j - 0.5)
        if w != 0.0:
            cells.append(j)
            ws.append(w)
    return cells, ws


def paint_reference(pos, box, shape, scheme, weights=None, periodic=True, origin=0.0):
    """np.add.at reference of paint: returns (mesh, dropped_mass, dropped_count) in float64.

    Wrapping (periodic) is done on the exact grid coordinate ``u mod n`` of the float64
    position; a particle is dropped (non-periodic) when any of its taps leaves the mesh,
    with the part of its mass outside counted as dropped.
    """
    pos = np.asarray(pos, np.float64)
    d = len(shape)
    box = np.broadcast_to(np.asarray(box, float), (d,))
    origin = np.broadcast_to(np.asarray(origin, float), (d,))
    h = box / np.asarray(shape, float)
    p = _ORDER[scheme]
    w = np.ones(len(pos)) if weights is None else np.asarray(weights, np.float64)
    mesh = np.zeros(shape)
    dropped, count = 0.0, 0
    for i in range(len(pos)):
        per_axis = []
        for a in range(d):
            u = (pos[i, a] - origin[a]) / h[a]
            if periodic:
                u = u % shape[a]
            per_axis.append(taps(u, p))
        idx_lists, w_lists = zip(*per_axis)
        inside_mass, left = 0.0, False
        for combo in np.ndindex(*[len(c) for c in idx_lists]):
            cells = [idx_lists[a][combo[a]] for a in range(d)]
            wt = w[i] * np.prod([w_lists[a][combo[a]] for a in range(d)])
            if periodic:
                cells = [c % shape[a] for a, c in enumerate(cells)]
            if all(0 <= c < shape[a] for a, c in enumerate(cells)):
                np.add.at(mesh, tuple(cells), wt)
                inside_mass += wt
            else:
                left = True
        if left:
            dropped += w[i] - inside_mass
            count += 1
    return mesh, dropped, count


def readout_reference(field, pos, box, scheme, periodic=True):
    """values[i] = sum_j field[j] prod_a W_p(u_ia - j_a - 1/2) (cells outside read 0)."""
    field = np.asarray(field, np.float64)
    out = []
    for i in range(len(pos)):
        mesh, _, _ = paint_reference(pos[i : i + 1], box, field.shape, scheme, periodic=periodic)
        touched = mesh != 0  # only the taps with a weight: a NaN elsewhere is not read
        out.append(float((mesh[touched] * field[touched]).sum()))
    return np.array(out)


def bspline_deriv(p, t):
    """d/dt of the centred cardinal B-spline of order p (CIC 2 .. PCS 4)."""
    s, a = math.copysign(1.0, t), abs(t)
    if p == 2:
        return -s if a < 1.0 else 0.0
    if p == 3:
        if a < 0.5:
            return -2.0 * t
        return -(1.5 - a) * s if a < 1.5 else 0.0
    if p == 4:
        if a < 1.0:
            return -2.0 * t + 1.5 * t * a
        return -0.5 * (2.0 - a) ** 2 * s if a < 2.0 else 0.0
    raise ValueError(p)


def readout_gradient_reference(field, pos, box, scheme):
    """grad[i, a] = (1/h_a) sum_j field[j] W'(u_a - j_a - 1/2) prod_{b != a} W(u_b - j_b - 1/2), periodic."""
    field = np.asarray(field, np.float64)
    pos = np.asarray(pos, np.float64)
    shape = field.shape
    d = len(shape)
    box = np.broadcast_to(np.asarray(box, float), (d,))
    h = box / np.asarray(shape, float)
    p = _ORDER[scheme]
    out = np.zeros((len(pos), d))
    for i in range(len(pos)):
        u = [(pos[i, a] / h[a]) % shape[a] for a in range(d)]
        lo = [math.floor(u[a] - p / 2.0) for a in range(d)]
        for off in np.ndindex(*([p + 2] * d)):
            j = [lo[a] + off[a] for a in range(d)]
            t = [u[a] - j[a] - 0.5 for a in range(d)]
            w = [bspline(p, t[a]) for a in range(d)]
            val = field[tuple(j[a] % shape[a] for a in range(d))]
            for a in range(d):
                dw = bspline_deriv(p, t[a])
                if dw:
                    out[i, a] += val * dw * np.prod([w[b] for b in range(d) if b != a]) / h[a]
    return out


def window_reference(k, scheme, h):
    """prod_a sinc(k_a h_a / 2)**p, sinc(x) = sin(x)/x."""
    p = _ORDER[scheme]
    ks = k if isinstance(k, tuple) else (k,)
    h = np.broadcast_to(np.asarray(h, float), (len(ks),))
    out = 1.0
    for a, ka in enumerate(ks):
        x = np.asarray(ka, float) * h[a] / 2.0
        out = out * np.sinc(x / np.pi) ** p
    return out


def rfft_window(shape, scheme):
    """The window on the rfftn grid of `shape`: prod_a sinc(pi m_a / n_a)**p (m_a the signed mode index)."""
    p = _ORDER[scheme]
    d = len(shape)
    out = np.ones([shape[a] if a < d - 1 else shape[a] // 2 + 1 for a in range(d)])
    for a, n in enumerate(shape):
        m = np.fft.rfftfreq(n) * n if a == d - 1 else np.fft.fftfreq(n) * n
        w = np.sinc(m / n) ** p
        out = out * w.reshape([-1 if b == a else 1 for b in range(d)])
    return out
