"""Adversarial inputs for paint / readout / readout_gradient against a NumPy reference (np.add.at).

Positions are drawn from a mix of ordinary values, edges of the box, values
many boxes away, far outside a non-periodic mesh (up to 1e300), and huge
values beyond 2**53 cells; meshes from 1 to 7 cells per axis, every scheme,
both boundaries.  Every outcome must equal the reference (the documented
conventions written with NumPy: the coordinate ``(x - origin) / h`` in
float64, wrapped with the exact ``fmod`` first and shifted after), or be a
documented exception.  A batch of risky cases also runs in a child process,
so that a crash is a failure, not a dead test run.
"""

import subprocess
import sys
import textwrap

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from fieldconv._windows import SCHEMES, bspline_weights
from fieldconv.assign import paint, readout, readout_gradient

EPS = np.finfo(np.float64).eps


def reference_taps(pos, box, shape, origin, p, periodic, deriv=False):
    """Per axis a list of (cell index, weight, derivative weight, inside) arrays: the documented window."""
    shift = 0.5 if p % 2 == 0 else 0.0
    half = (p - 1) // 2
    taps = []
    for a, n in enumerate(shape):
        u = (pos[:, a].astype(np.float64) - origin[a]) * (1.0 / (box[a] / n))
        if periodic:
            u = np.fmod(u, n)
            u = np.where(u < 0, u + n, u)
            u = np.where(u >= n, u - n, u)
            t = u - shift
            t = np.where(t < 0, t + n, t)
            t = np.where(t >= n, t - n, t)
        else:
            t = np.clip(u - shift, -p - 3.0, n + p + 3.0)  # beyond: no tap can reach the mesh anyway
        c = np.floor(t)
        f = t - c
        w = bspline_weights(np, p, f)
        dw = bspline_weights(np, p, f, deriv=True)
        axis = []
        for k in range(p):
            j = c + (k - half)
            inside = np.ones(len(j), bool) if periodic else (j >= 0) & (j < n)
            j = np.mod(j, n) if periodic else np.where(inside, j, 0)
            axis.append((j.astype(np.int64), w[k] * np.ones_like(f), dw[k] * np.ones_like(f), inside))
        taps.append(axis)
    return taps


def _combos(taps):
    ndim = len(taps)
    for ks in np.ndindex(*(len(t) for t in taps)):
        idx = tuple(taps[a][ks[a]][0] for a in range(ndim))
        ws = [taps[a][ks[a]][1] for a in range(ndim)]
        dws = [taps[a][ks[a]][2] for a in range(ndim)]
        inside = np.logical_and.reduce([taps[a][ks[a]][3] for a in range(ndim)])
        yield idx, ws, dws, inside


def reference_paint(pos, w, box, shape, origin, p, periodic):
    mesh = np.zeros(shape)
    inside_mass = 0.0
    for idx, ws, _, inside in _combos(reference_taps(pos, box, shape, origin, p, periodic)):
        v = w * np.prod(ws, axis=0)
        np.add.at(mesh, tuple(i[inside] for i in idx), v[inside])
        inside_mass += v[inside].sum()
    return mesh, float(w.sum() - inside_mass)


def reference_readout(field, pos, box, shape, p, periodic, grad=False):
    ndim = len(shape)
    out = np.zeros((len(pos), ndim)) if grad else np.zeros(len(pos))
    h = np.asarray(box) / np.asarray(shape)
    for idx, ws, dws, inside in _combos(reference_taps(pos, box, shape, (0.0,) * ndim, p, periodic)):
        v = np.where(inside, field[idx], 0.0)
        if grad:
            for a in range(ndim):
                out[:, a] += v * np.prod([dws[b] if b == a else ws[b] for b in range(ndim)], axis=0) / h[a]
        else:
            out += v * np.prod(ws, axis=0)
    return out


SPECIAL = [0.0, 1.0, -1.0, 1e3, -1e3, 1e300, -1e300, 2.0**53 + 2, 2.0**62, -(2.0**70), 0.5, 1e-300, -1e-300]


@st.composite
def cases(draw):
    ndim = draw(st.integers(1, 3))
    shape = tuple(draw(st.lists(st.integers(1, 7), min_size=ndim, max_size=ndim)))
    box = tuple(draw(st.lists(st.floats(0.5, 4.0), min_size=ndim, max_size=ndim)))
    n = draw(st.integers(0, 12))
    coords = []
    for _ in range(n * ndim):
        kind = draw(st.integers(0, 3))
        if kind == 0:
            coords.append(draw(st.floats(-3.0, 6.0)))
        elif kind == 1:
            coords.append(draw(st.sampled_from(SPECIAL)) * draw(st.sampled_from([1.0, box[len(coords) % ndim]])))
        elif kind == 2:  # an edge of the box, exactly or a float away
            b = box[len(coords) % ndim]
            coords.append(float(np.nextafter(b, draw(st.sampled_from([0.0, 2 * b, b])))))
        else:
            coords.append(draw(st.floats(-1e6, 1e6)))
    pos = np.array(coords, dtype=np.float64).reshape(n, ndim)
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    w = draw(hnp.arrays(np.float64, n, elements=st.floats(0.0, 10.0)))
    return {
        "pos": pos.astype(dtype) if dtype == np.float64 or np.all(np.abs(pos) < 1e30) else pos,
        "w": w, "shape": shape, "box": box,
        "scheme": draw(st.sampled_from(list(SCHEMES))), "periodic": draw(st.booleans()),
    }


@given(case=cases())
def test_paint_and_readout_match_the_reference(case):
    pos, w, shape, box, scheme, periodic = (case[k] for k in ("pos", "w", "shape", "box", "scheme", "periodic"))
    p = SCHEMES[scheme]
    ref, dropped = reference_paint(pos, w, box, shape, (0.0,) * len(shape), p, periodic)
    r = paint(pos, box_size=box, shape=shape, scheme=scheme, weights=w, periodic=periodic, outside="drop")
    mesh = r.mesh  # outside="drop" always reports (nothing is dropped when periodic)
    total = float(w.sum())
    # the same products summed in another order: a few ulps of the total mass per element
    np.testing.assert_allclose(mesh, ref, rtol=0, atol=16 * EPS * max(total, 1e-300))
    assert abs(r.dropped_mass - dropped) <= 16 * EPS * max(total, 1e-300)
    assert abs(float(mesh.sum()) + r.dropped_mass - total) <= 16 * EPS * max(total, 1e-300)
    field = np.cos(np.arange(int(np.prod(shape)))).reshape(shape)
    got = readout(field, pos, box_size=box, scheme=scheme, periodic=periodic, outside="drop")
    want = reference_readout(field, pos, box, shape, p, periodic)
    np.testing.assert_allclose(got, want, rtol=0, atol=16 * EPS)  # |field| <= 1, weights sum to 1
    # the adjoint identity <paint(w), f> = <w, readout(f)>
    assert abs(float((mesh * field).sum()) - float(w @ got)) <= 64 * EPS * max(total, 1e-300)
    if p > 1:
        g = readout_gradient(field, pos, box_size=box, scheme=scheme, periodic=periodic, outside="drop")
        gw = reference_readout(field, pos, box, shape, p, periodic, grad=True)
        scale = max(np.asarray(shape) / np.asarray(box))  # 1/h: the gradient of a field of size 1
        np.testing.assert_allclose(g, gw, rtol=0, atol=64 * EPS * scale)


@given(
    case=cases(),
    bad=st.sampled_from([np.nan, np.inf, -np.inf]),
    where=st.integers(0, 100),
)
def test_non_finite_positions_or_weights_raise(case, bad, where):
    pos, w = case["pos"].astype(np.float64), case["w"].copy()
    if pos.size == 0:
        return
    kw = dict(box_size=case["box"], shape=case["shape"], scheme=case["scheme"], periodic=case["periodic"],
              outside="drop")
    bad_pos = pos.copy()
    bad_pos.flat[where % pos.size] = bad
    with pytest.raises(ValueError, match="positions must be finite"):
        paint(bad_pos, weights=w, **kw)
    with pytest.raises(ValueError, match="positions must be finite"):
        readout(np.ones(case["shape"]), bad_pos, box_size=case["box"], periodic=case["periodic"], outside="drop")
    w[where % len(w)] = bad
    with pytest.raises(ValueError, match="weights must be finite"):
        paint(pos, weights=w, **kw)


RISKY = textwrap.dedent(
    """
    import numpy as np, fieldconv as fc
    rng = np.random.default_rng(7)
    values = np.array([0.0, 1.0, -1.0, 4.0, 1e3, -1e3, 1e19, -1e19, 1e300, -1e300, 2.0**62, 2.0**63, 1.5, 3.999])
    count = 0
    for trial in range(400):
        ndim = int(rng.integers(1, 4))
        shape = tuple(int(v) for v in rng.integers(1, 6, ndim))
        pos = rng.choice(values, (int(rng.integers(1, 8)), ndim)) + rng.random((1, ndim))
        scheme = ["ngp", "cic", "tsc", "pcs"][trial % 4]
        periodic = bool(trial % 3)
        r = fc.paint(pos, box_size=4.0, shape=shape, scheme=scheme, periodic=periodic, outside="drop")
        mesh = r.mesh
        total = len(pos)
        if not periodic:
            assert abs(float(mesh.sum()) + r.dropped_mass - total) < 1e-12 * total, (pos, shape, scheme)
        assert abs(float(mesh.sum()) - (total if periodic else total - r.dropped_mass)) < 1e-12 * total
        fc.readout(np.ones(shape), pos, box_size=4.0, scheme=scheme, periodic=periodic, outside="drop")
        cells = rng.integers(-2**63, 2**63 - 1, (len(pos), ndim), dtype=np.int64)
        off = rng.choice(values, (len(pos), ndim))
        r = fc.paint((cells, off), box_size=4.0, shape=shape, scheme=scheme, periodic=periodic, outside="drop")
        count += 1
    print("ok", count)
    """
)


def test_risky_batch_in_a_child_process():
    # far, huge and edge positions, (cells, offsets) anywhere in int64: a crash would kill the child only
    out = subprocess.run([sys.executable, "-c", RISKY], capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.split() == ["ok", "400"]
