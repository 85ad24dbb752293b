"""The particle-mesh force against the exact pair force, the self-force, and momentum conservation.

Three measurements of :mod:`fieldconv.pm` (code units, ``G = 1``):

1. **Force resolution** (the classic PM plot): a unit mass in free space
   (``bc="isolated"``, so the exact force is Newton's ``G m / r^2``), test
   particles of zero mass at separations from 0.05 to 20 cells in random
   directions, for several positions of the source inside its cell.  The
   radial force over ``G m / r^2`` and the tangential force over it are
   plotted against ``r / h`` (PNG): the mesh softens the force below ~2-3
   cells and is Newtonian beyond.
2. **Self-force**: a lone particle in a periodic box must feel no force
   (its images and the subtracted background are symmetric about it); the
   largest ``|a|`` over positions in a cell, in ``G m / h^2``, for each
   scheme and both recipes.
3. **Momentum**: ``|sum m a| / sum |m a|`` for random particles with random
   masses in a periodic box.

Needs: numpy and fieldconv; matplotlib for the plot (``pip install
"fieldconv[plot]"``).  Run::

    python examples/pm_force_resolution.py [--mesh 64] [--particles 1000000] [--out pm_force_resolution.png]
"""

import argparse

import numpy as np

from fieldconv.pm import ParticleMesh


def force_resolution(n, scheme, recipe, *, sources=4, per_source=600, seed=0, backend=None):
    """(r/h, radial force / (G m / r^2), tangential force / (G m / r^2)) for test particles around a unit mass."""
    rng = np.random.default_rng(seed)
    h = 1.0 / n
    pm = ParticleMesh((n, n, n), 1.0, scheme=scheme, recipe=recipe, bc="isolated", G=1.0, backend=backend)
    rs, fr, ft = [], [], []
    rmax = min(20.0, n / 2 - 4)  # test particles stay where their window fits inside the mesh
    for _ in range(sources):
        src = 0.5 + (rng.random(3) - 0.5) * h  # anywhere inside the central cell
        r = h * np.exp(rng.uniform(np.log(0.05), np.log(rmax), per_source))
        d = rng.standard_normal((per_source, 3))
        d /= np.linalg.norm(d, axis=1)[:, None]
        pos = np.vstack([src, src + r[:, None] * d])
        masses = np.zeros(len(pos))
        masses[0] = 1.0
        a = pm.accelerations(pos, masses=masses)[1:]
        exact = 1.0 / r**2
        radial = -(a * d).sum(axis=1)  # attraction points to -d
        tang = np.linalg.norm(a + radial[:, None] * d, axis=1)
        rs.append(r / h)
        fr.append(radial / exact)
        ft.append(tang / exact)
    return np.concatenate(rs), np.concatenate(fr), np.concatenate(ft)


def self_force(n, scheme, recipe, *, samples=6, backend=None):
    """max |a| of a lone unit mass over a samples^3 sub-grid of positions in one cell, in G m / h^2."""
    h = 1.0 / n
    pm = ParticleMesh((n, n, n), 1.0, scheme=scheme, recipe=recipe, G=1.0, backend=backend)
    s = (np.arange(samples) + 0.5) / samples
    off = np.stack(np.meshgrid(s, s, s, indexing="ij"), -1).reshape(-1, 3)
    worst = 0.0
    for o in off:
        a = pm.accelerations(((n // 2 + o) * h)[None], masses=1.0)
        worst = max(worst, float(np.abs(a).max()))
    return worst * h**2  # in G m / h^2


def momentum(n, scheme, recipe, npart, *, seed=1, backend=None):
    """|sum m a| / sum |m a| (largest component) for random particles with random masses, periodic box."""
    rng = np.random.default_rng(seed)
    pos = rng.random((npart, 3))
    m = rng.uniform(0.5, 1.5, npart) / npart
    a = ParticleMesh((n, n, n), 1.0, scheme=scheme, recipe=recipe, G=1.0, backend=backend).accelerations(pos, masses=m)
    ma = m[:, None] * a
    return float(np.abs(ma.sum(axis=0)).max() / np.abs(ma).sum(axis=0).max())


def _plot(path, curves, n):
    try:
        import matplotlib
    except ImportError:
        raise SystemExit("the plot needs matplotlib: pip install 'fieldconv[plot]' (or leave the plot out)") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from fieldconv._atomic import atomic_path

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharex=True)
    for (scheme, recipe), (r, fr, ft) in curves.items():
        style = dict(s=3, alpha=0.5, label=f"{scheme.upper()}, {recipe}")
        axes[0].scatter(r, fr, **style)
        axes[1].scatter(r, ft, **style)
    for ax in axes:
        ax.set_xscale("log")
        ax.set_xlabel("separation r / h")
        ax.axvline(1.0, color="0.7", lw=0.8)
        ax.legend(markerscale=4, fontsize=8)
    axes[0].axhline(1.0, color="k", lw=1)
    axes[0].set_ylabel("radial force / (G m / r^2)")
    axes[0].set_title(f"PM force vs Newton, free space, {n}^3 mesh")
    axes[1].set_yscale("log")
    axes[1].set_ylabel("tangential force / (G m / r^2)")
    axes[1].set_title("anisotropy (tangential part)")
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=120)
    plt.close(fig)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mesh", type=int, default=64, help="cells per axis (force resolution, momentum)")
    ap.add_argument("--particles", type=int, default=1_000_000, help="particles of the momentum test")
    ap.add_argument("--self-mesh", type=int, default=32, help="cells per axis of the self-force test")
    ap.add_argument("--samples", type=int, default=6, help="positions per axis inside a cell (self-force)")
    ap.add_argument("--backend", default=None, help="fieldconv backend (default: the package default)")
    ap.add_argument("--out", default="pm_force_resolution.png", help="the plot (PNG); '' for none")
    args = ap.parse_args(argv)

    results = {"self_force": {}, "momentum": {}, "resolution": {}}
    print(f"self-force of a lone particle, max over {args.samples}^3 positions in a cell, {args.self_mesh}^3 "
          "periodic box, in G m / h^2")
    print(f"{'scheme':8s} {'momentum recipe':>16s} {'energy recipe':>14s}")
    for scheme in ("ngp", "cic", "tsc", "pcs"):
        row = []
        for recipe in ("momentum", "energy"):
            v = np.nan if (scheme == "ngp" and recipe == "energy") else \
                self_force(args.self_mesh, scheme, recipe, samples=args.samples, backend=args.backend)
            results["self_force"][(scheme, recipe)] = v
            row.append(v)
        print(f"{scheme:8s} {row[0]:16.2e} {row[1]:14.3g}")

    print(f"\nmomentum |sum m a| / sum |m a|, {args.particles} random particles, {args.mesh}^3 periodic box")
    for scheme in ("cic", "tsc"):
        row = [momentum(args.mesh, scheme, recipe, args.particles, backend=args.backend)
               for recipe in ("momentum", "energy")]
        results["momentum"].update({(scheme, "momentum"): row[0], (scheme, "energy"): row[1]})
        print(f"{scheme:8s} momentum recipe {row[0]:.2e}   energy recipe {row[1]:.2e}")

    print(f"\nforce resolution, {args.mesh}^3 free-space mesh: radial force / Newton, median (and 5-95 % range)")
    print(f"{'scheme, recipe':22s} {'r < 1 h':>22s} {'1-2 h':>22s} {'2-4 h':>22s} {'> 4 h':>22s}")
    for scheme in ("cic", "tsc"):
        for recipe in ("momentum", "energy"):
            r, fr, ft = force_resolution(args.mesh, scheme, recipe, backend=args.backend)
            results["resolution"][(scheme, recipe)] = (r, fr, ft)
            cells = []
            for lo, hi in ((0, 1), (1, 2), (2, 4), (4, np.inf)):
                sel = (r >= lo) & (r < hi)
                if not sel.any():  # a small mesh has no room for the far bins
                    cells.append("n/a")
                    continue
                q = np.percentile(fr[sel], [5, 50, 95])
                cells.append(f"{q[1]:.3f} ({q[0]:.3f}-{q[2]:.3f})")
            print(f"{scheme + ', ' + recipe:22s} " + " ".join(f"{c:>22s}" for c in cells))
    if args.out:
        _plot(args.out, results["resolution"], args.mesh)
        print(f"\nplot written to {args.out}")
    return results


if __name__ == "__main__":
    main()
