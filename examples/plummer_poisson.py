"""End to end: a multi-file Gadget snapshot of a Plummer sphere through ``fieldconv poisson``.

1. Write a Plummer sphere (scale radius a = 1 kpc, mass 1e10 solar masses,
   truncated at 5 a) of ``--n`` particles, centred in an isolated 12 kpc box,
   as a Gadget-style HDF5 snapshot in ``--nfiles`` pieces
   (``plummer.0.hdf5 ...``) with its unit metadata
   (:func:`fieldconv.io.write_plummer_snapshot`).
2. Run the command line on it, in a subprocess, as a batch job would::

       fieldconv poisson plummer.0.hdf5 --shape 128 --bc isolated --scheme tsc --particles -o plummer_pm.h5

   which paints the particles chunk by chunk, solves Poisson's equation with
   isolated boundaries and writes ``density``, ``potential``, ``forces`` and
   the accelerations at the particles, each with a ``units`` attribute.
3. Compare the accelerations at the particles with the closed form
   ``g(r) = -G M_P r / (r^2 + a^2)^{3/2}`` (:func:`fieldconv.io.plummer_acceleration`),
   with G read back from the file (astropy's G in kpc (km/s)^2 / (1e10 Msun)),
   by radius: the relative error ``|g_PM - g| / |g|``.  Inside a few cells
   the mesh softens the force (the error grows as r falls below ~3 h); further
   out the error is the mesh's truncation plus the sampling noise of the
   particles, ~ sqrt((1 - f) / (N f)) for an enclosed mass fraction f.
4. Plot a slice of the density and of the potential through the centre and
   the error against radius (PNG), and write the figures to ``summary.json``.

Run (a few million particles; the first solve also plans the FFTs)::

    python examples/plummer_poisson.py --n 2000000 --shape 128 --outdir plummer-output

``tests/io/test_example.py`` runs it at a small size.

Needs: fieldconv (core install: h5py, astropy); matplotlib for the PNG (``--no-plot`` skips it).
"""

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

from fieldconv.io import Snapshot, plummer_acceleration, read_mesh, write_plummer_snapshot

UNITS = {"length": "kpc", "mass": "1e10 solMass", "velocity": "km/s"}
A, MASS, R_MAX, BOX = 1.0, 1.0, 5.0, 12.0  # kpc, 1e10 solMass, kpc, kpc
BINS = (0.25, 0.5, 1.0, 2.0, 3.0, 4.0, 5.0)  # radii (kpc) of the error table


def run_fieldconv(args):
    """``fieldconv ARGS`` in a subprocess (the console script is this interpreter's ``fieldconv.cli``)."""
    cmd = [sys.executable, "-m", "fieldconv.cli", *args]
    print("$ fieldconv " + " ".join(args), flush=True)
    subprocess.run(cmd, check=True)


def error_table(pos, acc, G, h):
    """Relative acceleration errors by radius, and over r >= 3 h (the figure of merit)."""
    g = plummer_acceleration(pos, scale_radius=A, mass=MASS, r_max=R_MAX, box_size=BOX, G=G)
    r = np.linalg.norm(pos - BOX / 2, axis=1)
    err = np.linalg.norm(acc - g, axis=1) / np.linalg.norm(g, axis=1)
    rows = []
    for lo, hi in zip((0.0, *BINS[:-1]), BINS):
        sel = (r >= lo) & (r < hi)
        if sel.any():
            rows.append({"r_min": lo, "r_max": hi, "particles": int(sel.sum()),
                         "median": float(np.median(err[sel])), "rms": float(np.sqrt(np.mean(err[sel] ** 2)))})
    far = r >= 3 * h
    overall = {"r_min": 3 * h, "particles": int(far.sum()), "median": float(np.median(err[far])),
               "rms": float(np.sqrt(np.mean(err[far] ** 2))), "p99": float(np.percentile(err[far], 99))}
    return rows, overall, r, err


def plot(mesh, r, err, h, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = mesh.grid.shape[0]
    extent = (0, BOX, 0, BOX)
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.6))
    rho = np.ma.masked_less_equal(mesh["density"][:, :, n // 2].astype(np.float64), 0.0)  # empty cells blank
    im = axes[0].imshow(np.ma.log10(rho).T, origin="lower", extent=extent)
    fig.colorbar(im, ax=axes[0], label=f"log10 density [{mesh.units['density']}]")
    axes[0].set_title(f"density, slice z = {BOX / 2:g} kpc")
    im = axes[1].imshow(mesh["potential"][:, :, n // 2].T, origin="lower", extent=extent, cmap="viridis")
    fig.colorbar(im, ax=axes[1], label=f"potential [{mesh.units['potential']}]")
    axes[1].set_title("potential (isolated)")
    for ax in axes[:2]:
        ax.set_xlabel("x [kpc]")
        ax.set_ylabel("y [kpc]")
    order = np.argsort(r)
    step = max(1, r.size // 20000)
    axes[2].loglog(r[order][::step], err[order][::step], ",", alpha=0.4, label="particles")
    edges = np.geomspace(max(r.min(), 0.05), R_MAX, 25)
    idx = np.digitize(r, edges)
    med = [np.median(err[idx == i]) if np.any(idx == i) else np.nan for i in range(1, len(edges))]
    axes[2].loglog(np.sqrt(edges[1:] * edges[:-1]), med, "k-", lw=2, label="median")
    axes[2].axvline(3 * h, color="r", ls="--", label="3 cells")
    axes[2].set_xlabel("r [kpc]")
    axes[2].set_ylabel("|g_PM - g| / |g|")
    axes[2].set_title("acceleration error vs the closed form")
    axes[2].legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--n", type=int, default=2_000_000, help="particles (default 2,000,000)")
    p.add_argument("--nfiles", type=int, default=4, help="snapshot pieces (default 4)")
    p.add_argument("--shape", type=int, default=128, help="mesh cells per axis (default 128)")
    p.add_argument("--scheme", default="tsc", help="assignment window (default tsc)")
    p.add_argument("--outdir", default="plummer-output", help="folder for the snapshot, results and PNG")
    p.add_argument("--no-plot", action="store_true", help="skip the PNG")
    args = p.parse_args(argv)
    os.makedirs(args.outdir, exist_ok=True)
    base = os.path.join(args.outdir, "plummer")
    out = os.path.join(args.outdir, "plummer_pm.h5")

    t0 = time.perf_counter()
    files = write_plummer_snapshot(base, args.n, nfiles=args.nfiles, scale_radius=A, mass=MASS, r_max=R_MAX,
                                   box_size=BOX, units=UNITS)
    print(f"wrote {len(files)} snapshot files, {args.n:,} particles ({time.perf_counter() - t0:.1f} s)")

    t0 = time.perf_counter()
    run_fieldconv(["poisson", files[0], "--shape", str(args.shape), "--bc", "isolated", "--scheme", args.scheme,
                   "--particles", "--output", out, "--quiet"])
    seconds = time.perf_counter() - t0

    mesh = read_mesh(out)
    G = float(mesh.attrs["potential"]["G"])
    acc = mesh["particles/PartType1/acceleration"].astype(np.float64)
    pos = Snapshot(base).read().astype(np.float64)  # the particles in file order, as the accelerations
    h = BOX / args.shape
    rows, overall, r, err = error_table(pos, acc, G, h)

    print(f"\nfieldconv poisson: {seconds:.1f} s; G = {G:.6g} {mesh.units['potential']} kpc / (1e10 solMass)")
    print(f"units: density {mesh.units['density']!r}, potential {mesh.units['potential']!r}, "
          f"forces {mesh.units['forces']!r}")
    print(f"\n{'r [kpc]':>12s} {'particles':>10s} {'median':>9s} {'rms':>9s}   relative acceleration error")
    for row in rows:
        print(f"{row['r_min']:5.2f}-{row['r_max']:<5.2f} {row['particles']:10d} {row['median']:9.2e} {row['rms']:9.2e}")
    print(f"\nr >= 3 h = {3 * h:.3f} kpc ({overall['particles']:,} particles): median {overall['median']:.2e}, "
          f"rms {overall['rms']:.2e}, 99th percentile {overall['p99']:.2e}")
    summary = {"n": args.n, "nfiles": args.nfiles, "shape": args.shape, "scheme": args.scheme, "h_kpc": h,
               "G": G, "seconds_poisson": seconds, "bins": rows, "r_ge_3h": overall, "units": mesh.units}
    if not args.no_plot:
        png = os.path.join(args.outdir, "plummer_slice.png")
        plot(mesh, r, err, h, png)
        summary["png"] = png
        print(f"wrote {png}")
    with open(os.path.join(args.outdir, "summary.json"), "w") as fh:
        json.dump(summary, fh, indent=1)
    return summary


if __name__ == "__main__":
    main()
