"""A conserving 1x1 mixer learns a reaction network's mass transfer; a free one leaks mass.

Six species exchange mass by first-order reactions on a 3D grid: with the
rate matrix ``K`` (``K[i, j] >= 0`` the rate of mass transfer j -> i, each
column summing to zero), the densities after one time step are
``rho(t + dt) = M rho(t)`` with ``M = expm(K dt)`` -- column-stochastic:
non-negative, total mass conserved at every grid point.

From pairs of noisy snapshots (``rho``, ``M rho + noise``) on a 24^3 grid we
fit three 1x1 mixers by Adam on the mean squared error, all started from the
same "mostly stays" matrix ``0.9 I + 0.1 / 6``:

* ``constraint={"conserve": ones}``: ``1^T W = 1^T`` (and ``1^T b = 0``),
  ``W = I + U P`` with raw ``P``: total mass conserved, by construction;
* ``constraint="stochastic"``: also ``W >= 0`` (softmax over each column):
  non-negative densities stay non-negative;
* no constraint: free ``W`` and ``b``.

The script prints how well each recovers ``M`` and the relative change of the
total mass of a held-out field under each mixer (one step, and a 100-step
rollout), and plots that mass drift over training (PNG).  The free mixer's
drift is the fitting error (noise, finite data, optimiser); the constrained
ones' is round-off, whatever the fit.  The stochastic mixer converges more
slowly (entries of ``M`` near zero need large negative logits).

Needs: fieldconv (core install); matplotlib for the figure (``fieldconv[plot]``; without it
the table is printed and no figure is drawn).

Run::

    python examples/conserving_mixer.py [--steps 400] [--out conserving_mixer.png]
"""

import argparse
import os

import numpy as np
import scipy.linalg

from fieldconv._atomic import atomic_path
from fieldconv.nn import ChannelMixer
from fieldconv.nn.mixers import conserved_totals
from fieldconv.nn.optim import Adam

SPECIES = ["A", "B", "C", "D", "E", "F"]
# mass-transfer rates j -> i (1/s); a chain with back-reactions and a branch
REACTIONS = {("A", "B"): 0.8, ("B", "A"): 0.2, ("B", "C"): 0.5, ("C", "D"): 0.3, ("D", "B"): 0.1,
             ("A", "E"): 0.25, ("E", "F"): 0.4, ("F", "A"): 0.05}


def rate_matrix():
    n = len(SPECIES)
    K = np.zeros((n, n))
    for (src, dst), k in REACTIONS.items():
        K[SPECIES.index(dst), SPECIES.index(src)] += k
    K -= np.diag(K.sum(axis=0))  # what arrives somewhere leaves its source
    return K


def snapshots(M, n_grid, noise, rng):
    """Random positive (log-normal, bursty) densities on an n^3 grid and the noisy densities one step later."""
    scale = np.array([1.0, 0.5, 2.0, 0.2, 1.0, 0.1])[:, None, None, None]
    rho = scale * rng.lognormal(0.0, 1.5, size=(6, n_grid, n_grid, n_grid))
    after = np.einsum("ij,j...->i...", M, rho)
    return rho, after + noise * after.std() * rng.standard_normal(after.shape)


def fit(mixer, x, y, x_test, steps, lr):
    """Adam on the MSE (lr / 10 for the last 40% of the steps); after every step the
    relative mass change of the held-out field."""
    opt = Adam(mixer.parameters(), lr=lr)
    total = conserved_totals(x_test, np.ones(6), dtype=np.float64)[0]
    drift = []
    n = x[0].size
    for step in range(steps):
        if step == int(0.6 * steps):
            opt.lr = lr / 10
        pred = mixer(x)
        mixer.backward(2.0 * (pred - y) / n)
        opt.step(mixer.grads())
        after = conserved_totals(mixer(x_test), np.ones(6), dtype=np.float64)[0]
        drift.append(abs(after - total) / total)
    return np.array(drift)


def rollout_drift(mixer, x, steps):
    total = x.sum()
    for _ in range(steps):
        x = mixer(x)
    return abs(x.sum() - total) / total


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=1200)
    ap.add_argument("--grid", type=int, default=24)
    ap.add_argument("--noise", type=float, default=0.01, help="relative measurement noise")
    ap.add_argument("--lr", type=float, default=0.05)
    ap.add_argument("--out", default="conserving_mixer.png")
    args = ap.parse_args(argv)
    rng = np.random.default_rng(0)
    M = scipy.linalg.expm(rate_matrix() * 1.0)  # dt = 1 s
    x, y = snapshots(M, args.grid, args.noise, rng)
    x_test, _ = snapshots(M, 16, 0.0, rng)
    print("true one-step matrix M = expm(K dt):")
    print(np.array2string(M, precision=3, suppress_small=True))

    mixers = {
        "conserve total mass": ChannelMixer(6, 6, constraint={"conserve": np.ones((1, 6))}, dtype=np.float64),
        "stochastic (mass, W >= 0)": ChannelMixer(6, 6, constraint="stochastic", dtype=np.float64),
        "unconstrained": ChannelMixer(6, 6, dtype=np.float64),
    }
    start = 0.9 * np.eye(6) + 0.1 / 6  # column-stochastic: a valid start for all three
    for mix in mixers.values():
        mix.set_weight(start, np.zeros(6) if mix.has_bias else None)
    drifts = {}
    print(f"{len(SPECIES)} species on a {args.grid}^3 grid, noise {args.noise:g}, {args.steps} Adam steps")
    print(f"{'mixer':26s} {'max |W - M|':>12s} {'mass drift, 1 step':>19s} {'100-step rollout':>17s} {'min W':>9s}")
    for name, mix in mixers.items():
        drifts[name] = fit(mix, x, y, x_test, args.steps, args.lr)
        W, _ = mix.weight64()
        print(f"{name:26s} {np.abs(W - M).max():12.2e} {drifts[name][-1]:19.2e} "
              f"{rollout_drift(mix, x_test, 100):17.2e} {W.min():9.2e}")
    W_ls = np.linalg.lstsq(x.reshape(6, -1).T, y.reshape(6, -1).T, rcond=None)[0].T
    print(f"{'(least squares, for scale)':26s} {np.abs(W_ls - M).max():12.2e}")
    print("constrained drift is round-off: <= (n + 1) u |C| |W| |x| summed over points, u = 1.1e-16")

    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no plot (pip install fieldconv[plot])")
        return drifts
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    floor = 1e-18  # exact zeros (common for the constrained mixers) are drawn here
    for name, d in drifts.items():
        style = {"lw": 1.2} if name == "unconstrained" else {"ls": "none", "marker": ".", "ms": 2}
        ax.semilogy(np.arange(1, d.size + 1), np.maximum(d, floor), label=name, **style)
    ax.axhline(np.finfo(np.float64).eps, color="0.6", lw=0.8, ls="--", label="float64 eps")
    ax.set_xlabel("Adam step")
    ax.set_ylabel("relative change of total mass (held-out field)")
    ax.text(0.99, 0.02, "exact zeros drawn at 1e-18", transform=ax.transAxes, ha="right", fontsize=8)
    ax.set_title("Mass drift of a fitted 1x1 mixer, reaction network on a 3D grid")
    ax.legend()
    fig.tight_layout()
    out = os.path.abspath(args.out)
    with atomic_path(out) as tmp:
        fig.savefig(tmp, format="png", dpi=120)
    print(f"plot: {out}")
    return drifts


if __name__ == "__main__":
    main()
