"""Resolution-matched resampling on real FTIR spectra (xpectrass data).

The Villegas-Camacho et al. (2024) polymer FTIR set, shipped by the
``xpectrass`` package (data not copied here, the licence points to the
original publication), measured the same samples at 4 cm^-1 (``c4``, 0.964 cm^-1 grid) and at 8 cm^-1 (``c8``, 1.928 cm^-1
grid).  To compare them, the 4 cm^-1 spectra must be put on the 8 cm^-1 grid.

* plain interpolation keeps the sharper bands of the 4 cm^-1 spectra;
* :func:`fieldconv.spectra.resample` first degrades them to 8 cm^-1 with the
  instrument line shape (dividing out the 4 cm^-1 one), then averages over
  each output bin (band areas conserved).

The two measurements are separate acquisitions, so the raw absorbance
difference is dominated by baseline and sample differences that no
resampling can remove; the resolution mismatch shows in the band shapes,
i.e. in the derivative spectra (Savitzky-Golay, fieldconv.smoothing), where
baselines drop out.  The script prints the median per-sample RMS difference
both ways and the fraction of samples where matching helps.

Needs: fieldconv (core install), pandas and the xpectrass data files.
Install them with ``pip install --no-deps xpectrass pandas``: xpectrass pins
exact versions of numpy, scipy and numba, and a plain ``pip install
xpectrass`` downgrades them.  Without them the script says so and exits with
status 2.  Run::

    python examples/resolution_matching.py [--max-samples N]
"""

import argparse
import importlib.util
import os
import sys

import numpy as np

from fieldconv.smoothing import savgol_filter
from fieldconv.spectra import interp, resample, transmittance_to_absorbance

#: What this example needs beyond fieldconv (import names), checked before anything is imported.
REQUIRES = ("pandas", "xpectrass")
INSTALL = "pip install --no-deps xpectrass pandas"
META = ["study", "sample_id", "type", "environmental", "resolution"]


def missing_requirements():
    """The names of :data:`REQUIRES` that do not import here."""
    out = []
    for name in REQUIRES:
        try:
            found = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):  # a broken install, or a module set to None
            found = False
        if not found:
            out.append(name)
    return out


def load_pairs(max_samples=None):
    """(x_hi, A_hi, x_lo, A_lo, sample ids) for samples present at both resolutions."""

    # the data files only: importing xpectrass itself needs its pinned dependencies
    missing = [m for m in ("xpectrass", "pandas") if importlib.util.find_spec(m) is None]
    if missing:
        raise SystemExit(f"this example needs {' and '.join(missing)}: pip install --no-deps xpectrass pandas")
    spec = importlib.util.find_spec("xpectrass")
    import pandas as pd
    base = os.path.join(spec.submodule_search_locations[0], "data")
    hi = pd.read_csv(os.path.join(base, "villegas_camacho_2024_c4.csv.xz"), nrows=max_samples)
    lo = pd.read_csv(os.path.join(base, "villegas_camacho_2024_c8.csv.xz"), nrows=max_samples)
    ids = [s for s in hi.sample_id if s in set(lo.sample_id)]
    ch = [c for c in hi.columns if c not in META]
    cl = [c for c in lo.columns if c not in META]
    H = hi.set_index("sample_id").loc[ids, ch].to_numpy(float)
    L = lo.set_index("sample_id").loc[ids, cl].to_numpy(float)
    # the files store percent transmittance
    return (np.array(ch, float), transmittance_to_absorbance(H, percent=True),
            np.array(cl, float), transmittance_to_absorbance(L, percent=True), ids)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--max-samples", type=int, default=None, help="read only the first N rows of each file")
    args = ap.parse_args(argv)
    missing = missing_requirements()
    if missing:
        print(f"this example needs {' and '.join(missing)} (the real FTIR data): {INSTALL}", file=sys.stderr)
        return 2
    xh, Ah, xl, Al, ids = load_pairs(args.max_samples)
    keep = (xl >= 450) & (xl <= 3950)  # inside both ranges, away from the detector edges
    xl, Al = xl[keep], Al[:, keep]
    h = abs(xl[1] - xl[0])
    print(f"{len(ids)} samples measured at both 4 and 8 cm^-1; 4 cm^-1 grid {abs(xh[1] - xh[0]):.3f}, "
          f"8 cm^-1 grid {h:.3f} cm^-1, {xl.size} target points")
    plain = interp(xl, xh, Ah)
    views = {
        "absorbance": lambda y: y,
        "1st derivative (SG 5/2)": lambda y: savgol_filter(y, 5, 2, deriv=1, delta=h),
        "2nd derivative (SG 7/3)": lambda y: savgol_filter(y, 7, 3, deriv=2, delta=h),
    }
    print("\nmedian over samples of the RMS difference to the measured 8 cm^-1 spectra")
    print("| view | plain interpolation | matched, gaussian ILS | matched, sinc ILS (boxcar) | samples improved (gaussian / sinc) |")
    print("|---|---|---|---|---|")
    matched = {s: resample(Ah, xh, xl, resolution=8.0, source_resolution=4.0, line_shape=s) for s in ("gaussian", "sinc")}
    for name, f in views.items():
        ref = f(Al)
        r0 = np.sqrt(np.mean((f(plain) - ref) ** 2, axis=1))
        r = {s: np.sqrt(np.mean((f(m) - ref) ** 2, axis=1)) for s, m in matched.items()}
        print(f"| {name} | {np.median(r0):.3e} | {np.median(r['gaussian']):.3e} ({np.median(r['gaussian']) / np.median(r0) - 1:+.0%}) "
              f"| {np.median(r['sinc']):.3e} ({np.median(r['sinc']) / np.median(r0) - 1:+.0%}) "
              f"| {np.mean(r['gaussian'] < r0):.0%} / {np.mean(r['sinc'] < r0):.0%} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
