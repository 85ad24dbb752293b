"""The figures: grid sizes as plain ticks (32, not 3x10^1), reference slopes, titles and axis labels."""

import pytest

pytest.importorskip("matplotlib")

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from fieldconv.validation import Series  # noqa: E402
from fieldconv.validation._plot import _convergence_panel  # noqa: E402


def test_convergence_panel():
    fig, ax = plt.subplots()
    sizes = [16, 32, 64, 128]
    s = Series("laplacian o2", sizes, [4.0 * n**-2 for n in sizes], order=2, floor=[1e-15] * 4)
    _convergence_panel(ax, [s], "Laplacian", "relative max error", "N (cells per axis)")
    fig.canvas.draw()
    assert [t.get_text() for t in ax.get_xticklabels()] == ["16", "32", "64", "128"]
    assert ax.get_title() == "Laplacian"
    assert ax.get_xlabel() == "N (cells per axis)" and ax.get_ylabel() == "relative max error"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["laplacian o2", "slope $N^{-2}$", "round-off floor"]
    ref = [ln for ln in ax.get_lines() if ln.get_label() == "slope $N^{-2}$"][0]
    (x0, x1), (y0, y1) = ref.get_xdata(), ref.get_ydata()
    assert y0 / y1 == pytest.approx((x1 / x0) ** 2)  # the reference line has the theoretical slope
    plt.close(fig)
