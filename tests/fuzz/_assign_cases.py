"""Generated mass-assignment cases for the child-process runner (paint / readout / readout_gradient).

Each case is a snippet comparing fieldconv with the ``np.add.at`` reference of
``_refs.paint_reference`` (or its adjoint), run in a child: non-periodic painting with
far-away particles crashed the interpreter (issue 11), so these never run in the
pytest process.  Cases are drawn from a seeded generator: the CI profile runs a fixed
set, ``HYPOTHESIS_PROFILE=fuzz-long`` many more with a fresh seed (printed).
"""

import numpy as np

from ._runner import Case

SCHEMES = ("ngp", "cic", "tsc", "pcs")


def _position_block(rng, n, d, box, shape, kind):
    pos = rng.uniform(0, 1, size=(n, d)) * box
    h = box / np.asarray(shape)
    if kind == "faces":
        pos = rng.integers(0, max(shape) + 1, size=(n, d)) * h
    elif kind == "edges":
        vals = lambda a: np.array([0.0, -0.0, box[a], np.nextafter(box[a], 0), np.nextafter(0.0, -1),
                                   np.nextafter(box[a], np.inf), 0.5 * h[a], box[a] - 0.5 * h[a], h[a], 1.5 * h[a]])
        for a in range(d):
            pos[:, a] = vals(a)[rng.integers(0, 10, size=n)]
    elif kind in ("far", "huge"):
        i, a = rng.integers(0, n), rng.integers(0, d)
        pos[i, a] = (rng.choice([-1e3, 1e3, 37.5]) * box[a]) if kind == "far" else rng.choice([1e19, -1e19, 1e300, 2.0**63])
    elif kind == "nonfinite":
        pos[rng.integers(0, n), rng.integers(0, d)] = rng.choice([np.nan, np.inf, -np.inf])
    return pos


def far_axes(pos, box, shape, scheme):
    """Axes along which some particle lies so far outside that no tap of its window reaches the mesh.

    (More than p + 1 cells out, the `far` flag of the painter's stencil: the F7 trigger on axes >= 1.)
    """
    p = SCHEMES.index(scheme) + 1
    t = pos / (np.asarray(box, float) / np.asarray(shape, float))
    with np.errstate(invalid="ignore"):
        out = ~((t > -p - 1.0) & (t < np.asarray(shape) + p + 1.0))
    return sorted({int(a) for a in np.nonzero(out)[1]})


def skip_open_findings(kind, scheme, d, periodic, pos, box, shape):
    """Leave out the inputs of open findings: F7 (non-periodic paint far out on axis >= 1), F8 (|u| >= 2**52)."""
    from ._findings import open_finding

    if open_finding("F7") and not periodic and any(a >= 1 for a in far_axes(pos, box, shape, scheme)):
        return True
    h = np.asarray(box, float) / np.asarray(shape, float)
    with np.errstate(invalid="ignore"):
        huge = bool((np.abs(pos[np.isfinite(pos)].reshape(-1)) >= 2.0**52 * h.min()).any())
    return open_finding("F8") and periodic and scheme != "ngp" and huge


def generate(seed, count, *, skip=skip_open_findings):
    """`count` paint/readout cases from `seed`; `skip` leaves out inputs of open findings."""
    rng = np.random.default_rng(seed)
    cases = []
    while len(cases) < count:
        d = int(rng.integers(1, 4))
        shape = tuple(int(s) for s in rng.integers(1, 6, size=d))
        # cell sizes that are powers of two: x / h and the cell faces are exact, so a particle on a face has one
        # right answer (with any other h, NGP on a face depends on how u = x / h rounds)
        box = np.asarray(shape) * 2.0 ** rng.integers(-3, 3, size=d)
        scheme = str(rng.choice(SCHEMES))
        periodic = bool(rng.integers(0, 2))
        kind = str(rng.choice(["inside", "faces", "edges", "far", "huge", "nonfinite"]))
        n = int(rng.integers(1, 6))
        pos = _position_block(rng, n, d, box, shape, kind)
        pos32 = bool(rng.integers(0, 4) == 0)
        if pos32:
            with np.errstate(over="ignore"):
                pos = pos.astype(np.float32).astype(np.float64)
        if skip(kind, scheme, d, periodic, pos, box, shape):
            continue
        op = str(rng.choice(["paint", "paint_drop", "readout", "readout_drop"]))
        if periodic and op.endswith("_drop"):
            op = op[:-5]
        wts = np.round(rng.uniform(0.5, 2.0, size=n), 3)
        posr = np.array2string(pos, precision=17, separator=",", threshold=10**6).replace("\n", "")
        dt = "np.float32" if pos32 else "np.float64"
        common = f"pos = np.array({posr}, dtype={dt}); box = {box.tolist()}; shape = {shape}\n"
        finite = bool(np.isfinite(pos).all())
        nonperiodic_outside = not periodic and finite and _outside(pos, box, shape, scheme)
        cid = f"{op}-{scheme}-{d}d-{kind}-{'per' if periodic else 'nonper'}-{len(cases)}"
        if op.startswith("paint"):
            outside = "drop" if op.endswith("_drop") else "raise"
            code = common + (
                f"w = np.array({wts.tolist()})\n"
                f"r = fc.paint(pos, box_size=box, shape=shape, scheme={scheme!r}, weights=w, periodic={periodic}, "
                f"outside={outside!r})\n"
                f"ref, dropped, count = refs.paint_reference(pos, box, shape, {scheme!r}, w, periodic={periodic})\n")
            if outside == "drop":
                code += ("mesh = r.mesh\n"
                         "assert r.dropped_count == count, (r.dropped_count, count)\n"
                         "assert abs(r.dropped_mass - dropped) <= 1e-12 * w.sum(), (r.dropped_mass, dropped)\n"
                         "assert abs(mesh.sum() + r.dropped_mass - w.sum()) <= 1e-12 * w.sum(), "
                         "('mass not conserved', mesh.sum(), r.dropped_mass, w.sum())\n")
            else:
                code += "mesh = r\n"
            code += f"np.testing.assert_allclose(mesh, ref, rtol=0, atol={_tol(pos, box, shape, pos32)!r} * w.sum())\n"
            expect_error = (not finite) or (nonperiodic_outside and outside == "raise")
            params = ("positions", "outside", "box_size", "non-finite")
        else:
            outside = "drop" if op.endswith("_drop") else "raise"
            field = np.round(rng.uniform(-2, 2, size=shape), 3)
            code = common + (
                f"field = np.array({field.tolist()})\n"
                f"r = fc.readout(field, pos, box_size=box, scheme={scheme!r}, periodic={periodic}, outside={outside!r})\n"
                f"ref = refs.readout_reference(field, pos, box, {scheme!r}, periodic={periodic})\n"
                f"np.testing.assert_allclose(r, ref, rtol=0, atol={_tol(pos, box, shape, False)!r} * np.abs(field).sum())\n")
            expect_error = (not finite) or (nonperiodic_outside and outside == "raise")
            params = ("positions", "outside", "box_size", "non-finite")
        cases.append(Case(cid, code, params=params, expect="error" if expect_error else "equal"))
    return cases


def _outside(pos, box, shape, scheme):
    p = SCHEMES.index(scheme) + 1
    u = pos / (np.asarray(box) / np.asarray(shape))
    lo = 0.0 if p == 1 else p / 2.0 - 0.5
    hi_pad = 0.0 if p == 1 else p / 2.0 - 0.5
    n = np.asarray(shape, float)
    if p == 1:
        return bool(((u < 0) | (u >= n)).any())
    return bool(((u < lo) | (u > n - hi_pad)).any())


def _tol(pos, box, shape, single):
    """Bound on |fieldconv - reference| per unit mass.

    Each mesh element sums at most N p^d products rounded in the mesh dtype ((N p^d + 1) eps of the
    total mass), and each grid coordinate u = x / h carries the rounding of the division and of the
    wrap (2 eps64 max(|u|, n)); the B-spline weights are 1-Lipschitz, so a weight moves by at most
    d times that.
    """
    d = len(shape)
    eps = 2.0**-24 if single else 2.0**-53
    u = np.abs(pos[np.isfinite(pos)]).max(initial=0.0) / (np.min(np.asarray(box) / np.asarray(shape)))
    return (len(pos) * 4**d + 1) * eps + 2 * d * 2.0**-53 * max(u, max(shape))
