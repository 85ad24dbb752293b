"""Constraint cases shared by the mixer tests: a spec, the channel counts, and how to check it."""

import numpy as np

RNG = np.random.default_rng(14)

#: Three laws on six species: total mass (positive), a second positive law
#: (atom count), and a signed one (charge).
LAWS = np.array(
    [
        [1.0, 1.0, 1.0, 1.0, 1.0, 1.0],
        [1.0, 2.0, 0.0, 3.0, 1.0, 2.0],
        [1.0, -1.0, 0.0, 2.0, 0.0, -2.0],
    ]
)
POSITIVE_LAWS = LAWS[:2]
RECT_LAWS = (np.array([[1.0, 1.0, 1.0, 1.0]]), np.array([[1.0, 1.0, 1.0, 1.0, 1.0, 1.0]]))  # 6 -> 4, mass
LIN_A = RNG.standard_normal((4, 6, 6))
LIN_C = RNG.standard_normal(4)

# id: (constraint, in_channels, out_channels)
CASES = {
    "conserve": ({"conserve": LAWS}, 6, 6),
    "conserve-rect": ({"conserve": RECT_LAWS}, 6, 4),
    "stochastic": ("stochastic", 6, 6),
    "stochastic-rect": ("stochastic", 6, 3),
    "nonnegative": ("nonnegative", 6, 5),
    "conserve-nonneg": ({"conserve": POSITIVE_LAWS, "nonnegative": True}, 6, 6),
    "orthogonal": ("orthogonal", 6, 6),
    "orthogonal-tall": ("orthogonal", 4, 6),
    "orthogonal-wide": ("orthogonal", 6, 4),
    "orthogonal-conserve": ({"conserve": LAWS, "orthogonal": True}, 6, 6),
    "linear": ({"linear": (LIN_A, LIN_C)}, 6, 6),
    "linear-conserve": ({"linear": (LIN_A, LIN_C), "conserve": LAWS[:1]}, 6, 6),
}


def laws_of(constraint, n_in, n_out):
    """``(C_out, C_in)`` a case conserves, or None."""
    if constraint == "stochastic":
        return np.ones((1, n_out)), np.ones((1, n_in))
    if isinstance(constraint, dict) and "conserve" in constraint:
        c = constraint["conserve"]
        return c if isinstance(c, tuple) else (c, c)
    return None


def violations(constraint, W, b):
    """Dict of the constraint residuals of (W, b), as plain numbers (absolute)."""
    n_out, n_in = W.shape
    out = {}
    laws = laws_of(constraint, n_in, n_out)
    if laws is not None:
        C_out, C_in = laws
        out["laws"] = float(np.abs(C_out @ W - C_in).max())
        if b is not None:
            out["laws_bias"] = float(np.abs(C_out @ b).max())
    name = constraint if isinstance(constraint, str) else None
    flags = constraint if isinstance(constraint, dict) else {}
    if name in ("stochastic", "nonnegative") or flags.get("nonnegative"):
        out["negative"] = float(max(0.0, -W.min()))
    if name == "orthogonal" or flags.get("orthogonal"):
        G = W.T @ W if n_out >= n_in else W @ W.T
        out["orthogonality"] = float(np.abs(G - np.eye(G.shape[0])).max())
    if isinstance(constraint, dict) and "linear" in constraint:
        A, c = constraint["linear"]
        out["linear"] = float(np.abs(A.reshape(A.shape[0], -1) @ W.reshape(-1) - c).max())
    return out


def central_differences(loss, arrays, h):
    """d loss / d a for each array `a` (modified in place and restored), by central differences."""
    out = []
    for a in arrays:
        fd = np.zeros(a.shape)
        for i in np.ndindex(a.shape):
            old = a[i]
            a[i] = old + h
            lp = loss()
            a[i] = old - h
            lm = loss()
            a[i] = old
            fd[i] = (lp - lm) / (2 * h)
        out.append(fd)
    return out
