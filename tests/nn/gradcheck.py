"""Finite-difference gradient checks for fieldconv.nn layers (float64).

For a layer f and a fixed random upstream gradient g, the scalar
L(x, params) = <g, f(x)> has dL/dx = f.backward(g) and dL/dp = f's parameter
grads.  Each is checked along random directions v by the central difference
(L(x + h v) - L(x - h v)) / 2h = <dL/dx, v> + O(h^2).

Tolerance: with h = 1e-5 and O(1) inputs, the truncation error is
~ h^2 |f'''| ~ 1e-10 and the rounding error ~ eps |L| / h ~ 1e-11 |L|, so
1e-6 relative to |<dL/dx, v>| + |L| leaves a wide margin while a wrong
gradient (an O(1) error) fails by orders of magnitude.
"""

import numpy as np

H = 1e-5
RTOL = 1e-6


def _dot(a, b):
    return float(np.sum(np.asarray(a, dtype=np.float64) * np.asarray(b, dtype=np.float64)))


def check_layer_gradients(layer, x, rng, *, n_dirs=3, reset=None, h=H, rtol=RTOL):
    """Assert backward's input and parameter gradients match central differences.

    `reset` (optional) is called before every forward (e.g. to re-seed a
    dropout mask so the map is the same function at every evaluation).
    Returns the largest relative error seen.
    """
    reset = reset or (lambda: None)
    reset()
    y = np.asarray(layer.forward(x))
    g = rng.standard_normal(y.shape)
    dx = np.asarray(layer.backward(g))
    grads = {k: np.array(v, copy=True) for k, v in layer.named_grads().items()}
    params = layer.named_parameters()

    def loss():
        reset()
        return _dot(g, layer.forward(x))

    worst = 0.0
    for _ in range(n_dirs):
        v = rng.standard_normal(x.shape)
        x0 = x.copy()
        x[...] = x0 + h * v
        lp = loss()
        x[...] = x0 - h * v
        lm = loss()
        x[...] = x0
        fd = (lp - lm) / (2 * h)
        an = _dot(dx, v)
        err = abs(fd - an) / (abs(an) + abs(lp) + 1e-12)
        worst = max(worst, err)
        assert err < rtol, f"input gradient: finite difference {fd!r} vs backward {an!r} (rel err {err:.2e})"
        for name, p in params.items():
            v = rng.standard_normal(p.shape)
            p0 = np.array(p, copy=True)
            p[...] = p0 + h * v
            lp = loss()
            p[...] = p0 - h * v
            lm = loss()
            p[...] = p0
            fd = (lp - lm) / (2 * h)
            an = _dot(grads[name], v)
            err = abs(fd - an) / (abs(an) + abs(lp) + 1e-12)
            worst = max(worst, err)
            assert err < rtol, f"gradient of {name}: finite difference {fd!r} vs backward {an!r} (rel err {err:.2e})"
    return worst
