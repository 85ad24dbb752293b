"""A Zel'dovich pancake with particle-mesh gravity and a kick-drift-kick leapfrog.

A plane wave of displacement collapses in a periodic box (mean density
subtracted).  Before the sheets cross, every sheet obeys
``psi'' = 4 pi G rho_bar psi``: the pancake has the exact solution

    x(q, t) = q - A(t) sin(k q) / k,   A(t) = A0 exp(omega t),   omega^2 = 4 pi G rho_bar,

with shell crossing at ``A = 1``.  The script integrates it with
:class:`fieldconv.pm.ParticleMesh` (one particle per mesh cell, the wave
along axis 0 of an ``n x 4 x 4`` mesh) from ``A = 0.1`` to ``A = 0.8`` (a
density contrast of 5 at the centre of the pancake) and prints the largest
position and velocity errors against the exact solution, relative to the
displacement and velocity amplitudes, and their convergence order as the
mesh is refined.  ``--plot`` saves the phase space (x, v) at the end next to
the exact solution.

Needs: numpy and fieldconv; matplotlib for ``--plot`` (``pip install
"fieldconv[plot]"``).  Run::

    python examples/zeldovich_pancake.py [--meshes 16 32 64 128] [--scheme tsc] [--plot pancake.png]
"""

import argparse
import math

from fieldconv.validation._zeldovich import integrate_pancake, pancake_convergence


def _plot(path, n_mesh, scheme, backend, steps_per_cell):
    try:
        import matplotlib
    except ImportError:
        raise SystemExit("the plot needs matplotlib: pip install 'fieldconv[plot]' (or leave the plot out)") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from fieldconv._atomic import atomic_path

    # one row of sheets shows the phase space: a 2 x 2 transverse mesh
    sol, t_end, q, x, v, steps = integrate_pancake(n_mesh, scheme=scheme, transverse=2, backend=backend,
                                                    n_steps_per_cell=steps_per_cell)
    qq = np.linspace(0, 1, 1001)
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(sol.positions(qq, t_end) % 1.0, sol.velocities(qq, t_end), "k-", lw=1, label="exact (Zel'dovich)")
    ax.plot(x[:, 0] % 1.0, v[:, 0], "o", ms=3, label=f"PM, {scheme.upper()}, {n_mesh} cells")
    ax.set_xlabel("x / L")
    ax.set_ylabel("v / (omega L)")
    ax.set_title(f"Zel'dovich pancake at A = 0.8 (kick-drift-kick, {steps} steps)")
    ax.legend()
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=120)
    plt.close(fig)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--meshes", type=int, nargs="+", default=[16, 32, 64, 128], help="cells along the wave")
    ap.add_argument("--scheme", default="tsc", choices=["ngp", "cic", "tsc", "pcs"])
    ap.add_argument("--steps-per-cell", type=int, default=4, help="leapfrog steps per mesh cell (default 4)")
    ap.add_argument("--backend", default=None, help="fieldconv backend (default: the package default)")
    ap.add_argument("--plot", default=None, help="save the final phase space of the finest mesh (PNG)")
    args = ap.parse_args(argv)
    results, orders = pancake_convergence(tuple(args.meshes), scheme=args.scheme, backend=args.backend,
                                          n_steps_per_cell=args.steps_per_cell)
    print(f"Zel'dovich pancake, {args.scheme.upper()}, A = 0.1 -> 0.8 (shell crossing at 1); errors: max over "
          "particles, relative to the displacement / velocity amplitude at the end")
    print(f"{'mesh':>6s} {'steps':>6s} {'position':>10s} {'velocity':>10s} {'order x':>8s} {'order v':>8s}")
    for k, r in enumerate(results):
        ox, ov = orders[k - 1] if k else (math.nan, math.nan)
        print(f"{r.n_mesh:6d} {r.n_steps:6d} {r.position_error:10.3e} {r.velocity_error:10.3e} {ox:8.2f} {ov:8.2f}")
    if args.plot:
        _plot(args.plot, args.meshes[-1], args.scheme, args.backend, args.steps_per_cell)
        print(f"phase space written to {args.plot}")
    return results, orders


if __name__ == "__main__":
    main()
