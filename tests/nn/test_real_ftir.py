"""Real polymer FTIR spectra (xpectrass's bundled Frond et al. 2021 set), where xpectrass is installed.

The classifier is trained on the measured spectra of the polymer types with
at least 15 samples (PP, PE, PET, PS, PVC, PU, PA, ABS: chemically distinct
groups such as esters, amides, aromatics and C-Cl), one-hot targets, and its
accuracy (arg-max over types) on a held-out stratified 30 % is printed.  The
bar is low on purpose (a handful of spectra per type, a few epochs): it
checks that the pipeline works on real data, the printed figure is the
result.
"""

import numpy as np
import pytest

pytestmark = pytest.mark.slow


def test_polymer_types_from_real_ftir_spectra():
    pytest.importorskip("xpectrass")
    from xpectrass.data import load_frond_2021

    from fieldconv.nn import SpectralCNNClassifier
    from fieldconv.spectra import resample

    df = load_frond_2021()
    meta = ["study", "sample_id", "type", "environmental", "resolution"]
    cols = [c for c in df.columns if c not in meta]
    nu = np.array([float(c) for c in cols])
    order = np.argsort(nu)
    T = df[cols].to_numpy(dtype=np.float64)[:, order] / 100.0  # percent transmittance -> fraction
    nu = nu[order]
    grid = np.arange(420.0, 3980.0, 2.0)
    A = -np.log10(np.clip(resample(T, nu, grid), 1e-3, None))  # area-conserving bins onto a uniform grid
    types = df["type"].to_numpy()
    names, counts = np.unique(types, return_counts=True)
    keep_types = [t for t, c in zip(names, counts) if c >= 15 and t not in ("R", "CO", "CE")]
    rows = np.isin(types, keep_types)
    X, t = A[rows], types[rows]
    Y = (t[:, None] == np.array(keep_types)[None, :]).astype(np.uint8)
    rng = np.random.default_rng(0)
    test = np.zeros(len(t), bool)
    for k in keep_types:  # stratified 30 % held out
        idx = np.flatnonzero(t == k)
        test[rng.choice(idx, size=max(1, int(0.3 * idx.size)), replace=False)] = True
    clf = SpectralCNNClassifier(grid=grid, resolution=4.0, epochs=30, validation_fraction=0.0, random_state=0)
    clf.fit(X[~test], Y[~test])
    pred = np.argmax(clf.predict_proba(X[test]), axis=1)
    acc = float(np.mean(pred == np.argmax(Y[test], axis=1)))
    print(f"\nFrond 2021 polymer FTIR: {len(keep_types)} types {keep_types}, {int((~test).sum())} training / "
          f"{int(test.sum())} test spectra: accuracy {acc:.3f} (chance {1 / len(keep_types):.3f})")
    assert acc > 2.0 / len(keep_types)
