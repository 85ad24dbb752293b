"""Figures of ``fieldconv validate``: one PNG per family, one panel per group of series.

Convergence panels are log-log with the grid sizes themselves as ticks
(``32``, not ``3x10^1``), a dotted reference slope ``N^-p`` beside every
series with a theoretical order (a factor 2 below its first point), and the
round-off floor as a thin grey line.  Other
panels (transfer functions) draw the analytic curve as a line and the
measurements as markers.  matplotlib is imported here only (``fieldconv[plot]``).
"""

import math

__all__ = ["plot_family"]


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _size_ticks(ax, sizes):
    from matplotlib.ticker import FixedLocator, NullLocator, ScalarFormatter

    ax.xaxis.set_major_locator(FixedLocator(sorted(sizes)))
    fmt = ScalarFormatter()
    fmt.set_scientific(False)
    ax.xaxis.set_major_formatter(fmt)
    ax.xaxis.set_minor_locator(NullLocator())


def _colors(series):
    groups = list(dict.fromkeys(s.group or s.label for s in series))
    return {g: f"C{i % 10}" for i, g in enumerate(groups)}


def _convergence_panel(ax, series, title, ylabel, xlabel):
    sizes = set()
    colors = _colors(series)
    slopes_labelled, floor_labelled = set(), False
    for s in series:
        color = colors[s.group or s.label]
        ys = [max(float(y), 1e-18) for y in s.y]
        ax.loglog(s.x, ys, s.style, color=color, ms=4, lw=1.2, label=s.label)
        sizes.update(s.x)
        floor = s.floor or [0.0] * len(s.x)
        if s.order:
            # reference slope through the first point above its round-off floor, a factor 2 below it
            pts = [(x, y) for x, y, f in zip(s.x, s.y, floor) if y > 100 * f] or list(zip(s.x, s.y))
            x0, y0 = pts[0]
            xs = [min(s.x), max(s.x)]
            label = None if s.order in slopes_labelled else f"slope $N^{{-{s.order:g}}}$"
            slopes_labelled.add(s.order)
            ax.loglog(xs, [0.5 * y0 * (x / x0) ** -s.order for x in xs], ":", color=color, lw=1.0, alpha=0.8,
                      label=label)
        if s.floor:
            ax.loglog(s.x, [max(f, 1e-18) for f in s.floor], "-", color="0.6", lw=0.6, alpha=0.6,
                      label=None if floor_labelled else "round-off floor")
            floor_labelled = True
        if s.reference:
            rx, ry = s.reference
            ax.loglog(rx, [max(float(y), 1e-18) for y in ry], "-", color=color, lw=0.6, alpha=0.5)
    _size_ticks(ax, sizes)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=6.5, ncol=2 if len(series) > 4 else 1)


def _curve_panel(ax, series, title, ylabel, xlabel, logy, reference_label="analytic"):
    colors = _colors(series)
    for s in series:
        color = colors[s.group or s.label]
        if s.reference:
            rx, ry = s.reference
            ax.plot(rx, ry, "-", color=color, lw=1.0, label=f"{s.label} ({reference_label})")
        ax.plot(s.x, s.y, "o", color=color, ms=3.5, mfc="none", label=f"{s.label} (measured)")
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=6.5, ncol=2 if len(series) > 4 else 1)


def plot_family(result, path, *, title, panels):
    """Write a family's figure.

    Parameters
    ----------
    result : FamilyResult
    path : str or os.PathLike
        PNG file to write (atomically).
    title : str
        Figure title.
    panels : list of dict
        One per panel: ``name`` (the ``Series.panel`` it shows), ``title``,
        ``ylabel``, optional ``xlabel`` (default "N (cells per axis)"),
        ``kind`` ("convergence", "curve" or "curve-log"), and for curves
        ``reference_label`` (what the line is: default "analytic").

    Returns
    -------
    str
        `path`.
    """
    from .._atomic import atomic_path

    plt = _pyplot()
    ncol = min(len(panels), 3)
    nrow = math.ceil(len(panels) / ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(max(4.6 * ncol, 7.0), 3.8 * nrow + 0.4), squeeze=False)
    for ax, panel in zip(axes.flat, panels):
        series = [s for s in result.series if s.panel == panel["name"]]
        xlabel = panel.get("xlabel", "N (cells per axis)")
        if panel.get("kind", "convergence") == "convergence":
            _convergence_panel(ax, series, panel["title"], panel["ylabel"], xlabel)
        else:
            _curve_panel(ax, series, panel["title"], panel["ylabel"], xlabel, panel["kind"] == "curve-log",
                         panel.get("reference_label", "analytic"))
    for ax in list(axes.flat)[len(panels):]:
        ax.set_visible(False)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110)
    plt.close(fig)
    return str(path)
