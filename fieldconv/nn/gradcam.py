"""Which wavenumber regions drove a prediction: 1D Grad-CAM on the spectral axis.

Grad-CAM (Selvaraju et al. 2017) in one dimension: for an output (a group's
logit) ``y_g`` and the activations ``A`` (C, L') of a convolutional layer,

    alpha_c = mean_t dy_g / dA[c, t]            (channel importance)
    cam[t]  = ReLU(sum_c alpha_c A[c, t])       (where the evidence sits)

The channel average assumes the head treats every position alike (global
pooling).  A spectral classifier's head does not: after region pooling a
channel counts for a group in one region and against it in another, and
the average can cancel.  ``method="hires"`` keeps the gradient point by
point (HiResCAM, Draelos & Carin 2020):

    cam[t]  = ReLU(sum_c dy_g / dA[c, t] * A[c, t])

which, for a head that is linear in ``A`` (pooling, flatten, dense), splits
the output exactly into contributions of the positions.  ``method="auto"``
(the default) uses HiResCAM when a position-keeping layer (RegionPool with
more than one region, or Flatten of the map) follows the explained layer,
Grad-CAM otherwise.

and ``cam`` is placed on the input's wavenumber grid: point ``t`` of an
``L'``-point map stands at grid index ``(t + 1/2) n / L' - 1/2`` (the
convention of :class:`~fieldconv.nn.RegionPool`), linearly interpolated
between, and scaled to a maximum of 1 per spectrum and group (a map that is
zero everywhere stays zero: no positive evidence).
"""

from dataclasses import dataclass

import numpy as np

from ._checks import check_choice, check_finite
from .._grid import as_grid
from ._layer import no_grad
from .containers import Sequential
from .conv import Conv1D

__all__ = ["grad_cam", "GradCAM", "plot_grad_cam"]


@dataclass
class GradCAM:
    """Grad-CAM maps on the spectral axis.

    Attributes
    ----------
    maps : ndarray, float64, shape (n_samples, n_outputs, n_points)
        In [0, 1], on `grid`.
    grid : ndarray, float64 (n_points,) or None
        Wavenumbers (cm^-1) of the input, when the model knows its grid.
    outputs : list of int
        The model outputs (groups) explained, in the order of ``maps``' axis 1.
    layer : int
        Index of the explained layer in the model.
    logits : ndarray (n_samples, n_outputs)
        The explained outputs' values.
    method : str
        "grad-cam" or "hires".

    Examples
    --------
    See :func:`grad_cam`.
    """

    maps: np.ndarray
    grid: np.ndarray
    outputs: list
    layer: int
    logits: np.ndarray
    method: str = "grad-cam"


def _default_layer(model):
    """The last activation after the last convolution (the deepest map that keeps position)."""
    last_conv = max((i for i, layer in enumerate(model.layers) if isinstance(layer, Conv1D)), default=None)
    if last_conv is None:
        raise ValueError("grad_cam needs a model with a Conv1D layer at its top level")
    i = last_conv
    for j in range(last_conv + 1, len(model.layers)):
        if type(model.layers[j]).__name__ in ("ReLU", "LeakyReLU", "GELU", "BatchNorm1D"):
            i = j
        else:
            break
    return i


def _position_aware(head):
    for layer in head.layers:
        name = type(layer).__name__
        if name == "GlobalPool":
            return False
        if name == "RegionPool":
            return layer.n_regions > 1
        if name == "Flatten":
            return True
    return True


def grad_cam(model, X, outputs=None, *, layer=None, grid=None, method="auto"):
    """Grad-CAM maps of `model` for spectra `X`.

    Parameters
    ----------
    model : Sequential
        A trained network whose top level holds the explained layer.
    X : array (n_samples, 1, n_points) or (n_samples, n_points)
        Spectra as the model takes them (host or backend array); finite.
    outputs : int or sequence of int, optional
        Outputs (group indices) to explain (default all).
    layer : int, optional
        Index (top level of `model`) of the layer whose output is explained
        (default: the last activation after the last Conv1D).
    grid : array_like, Quantity or SpectralAxis, optional
        The input's wavenumbers (default ``model.grid`` if set).
    method : {"auto", "grad-cam", "hires"}, optional
        Channel-averaged gradients (Grad-CAM) or point-wise ones (HiResCAM);
        "auto" (default) chooses by the head (see the module notes).

    Returns
    -------
    GradCAM

    Raises
    ------
    ValueError
        Non-finite `X`; an output index out of range; a layer that does not
        keep the spectral axis; a model that is not a Sequential.

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.nn import grad_cam, spectral_cnn
    >>> nu = np.arange(400.0, 4000.0, 1.0)
    >>> net = spectral_cnn(nu, 3, random_state=0)
    >>> cam = grad_cam(net, np.random.default_rng(0).random((2, 1, 3600), np.float32), outputs=[0, 2])
    >>> cam.maps.shape, float(cam.maps.max()) <= 1.0
    ((2, 2, 3600), True)
    """
    from .training import _batch, _model_backend

    if not isinstance(model, Sequential):
        raise ValueError(f"grad_cam needs a Sequential model; got {type(model).__name__}")
    be, dtype = _model_backend(model)
    if isinstance(X, np.ndarray):
        X = np.asarray(X, dtype=dtype)
        if X.ndim == 2:
            X = X[:, None, :]
        check_finite(_Host, X, "X")
        xb = _batch(be, dtype, X, np.arange(X.shape[0]))
    else:
        check_finite(be, X, "X")
        xb = X
    n_points = xb.shape[-1]
    li = _default_layer(model) if layer is None else int(layer)
    if not 0 <= li < len(model.layers) - 1:
        raise ValueError(f"layer must index a layer before the model's last (0..{len(model.layers) - 2}); got {layer}")
    check_choice("method", method, ("auto", "grad-cam", "hires"))
    trunk, head = model[: li + 1], model[li + 1 :]
    if method == "auto":
        method = "hires" if _position_aware(head) else "grad-cam"
    was_training = model.training
    model.eval()
    try:
        with no_grad(trunk):
            A = trunk(xb)
        if A.ndim != 3:
            raise ValueError(f"layer {li} ({type(model.layers[li]).__name__}) does not keep the spectral axis")
        z = head(A)
        n_out = z.shape[1]
        outs = list(range(n_out)) if outputs is None else [int(o) for o in np.atleast_1d(outputs)]
        for o in outs:
            if not 0 <= o < n_out:
                raise ValueError(f"outputs must lie in [0, {n_out}); got {o}")
        Ah = be.to_numpy(A).astype(np.float64)
        zh = be.to_numpy(z).astype(np.float64)
        maps = np.empty((Ah.shape[0], len(outs), n_points))
        for k, o in enumerate(outs):
            if k:
                head(A)  # backward consumes the forward's state
            onehot = np.zeros(zh.shape, dtype=dtype)
            onehot[:, o] = 1.0
            G = be.to_numpy(head.backward(be.asarray(onehot, copy=True))).astype(np.float64)
            weight = G if method == "hires" else G.mean(axis=2, keepdims=True)
            cam = np.maximum(np.sum(weight * Ah, axis=1), 0.0)  # (n, L')
            maps[:, k, :] = _to_grid(cam, n_points)
    finally:
        model.train(was_training)
    top = maps.max(axis=2, keepdims=True)
    maps = np.divide(maps, top, out=np.zeros_like(maps), where=top > 0)
    g = grid if grid is not None else getattr(model, "grid", None)
    gv = None if g is None else np.asarray(as_grid(g).values)
    return GradCAM(maps, gv, outs, li, zh[:, outs], method)


def _to_grid(cam, n_points):
    """(n, L') map -> (n, n_points) by linear interpolation at the map points' grid positions."""
    lp = cam.shape[1]
    pos = (np.arange(lp) + 0.5) * n_points / lp - 0.5
    idx = np.arange(n_points, dtype=np.float64)
    return np.stack([np.interp(idx, pos, row) for row in cam])


class _Host:
    xp = np


def plot_grad_cam(spectrum, cam, grid, *, names=None, path=None, ax=None, title=None):
    """Plot a spectrum with its Grad-CAM maps shaded under it; optionally save a PNG (atomically).

    Parameters
    ----------
    spectrum : array_like (n_points,)
        The spectrum (absorbance).
    cam : array_like (n_maps, n_points) or (n_points,)
        Grad-CAM maps in [0, 1] (e.g. ``GradCAM.maps[i]``).
    grid : array_like (n_points,)
        Wavenumbers (cm^-1); plotted decreasing left to right, as IR is read.
    names : sequence of str, optional
        Legend labels of the maps.
    path : str or os.PathLike, optional
        Write the figure here as PNG.
    ax : matplotlib Axes, optional
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.nn import plot_grad_cam
    >>> nu = np.linspace(4000.0, 400.0, 100)
    >>> fig = plot_grad_cam(np.exp(-((nu - 1700) / 30) ** 2), np.exp(-((nu - 1700) / 60) ** 2), nu,
    ...                     names=["ketone"])
    >>> len(fig.axes)
    1
    """
    import matplotlib

    if ax is None:
        matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    from .._atomic import atomic_path

    y = np.asarray(spectrum, dtype=np.float64)
    c = np.atleast_2d(np.asarray(cam, dtype=np.float64))
    x = np.asarray(grid, dtype=np.float64)
    if y.shape != x.shape or c.shape[1] != x.shape[0]:
        raise ValueError(f"spectrum {y.shape}, cam {c.shape} and grid {x.shape} must share the spectral length")
    fig = ax.figure if ax is not None else plt.figure(figsize=(10, 3.5))
    ax = ax if ax is not None else fig.add_subplot(111)
    lo, hi = float(np.min(y)), float(np.max(y))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for k, row in enumerate(c):
        label = names[k] if names is not None and k < len(names) else f"output {k}"
        ax.fill_between(x, lo, lo + row * (hi - lo), color=colors[(k + 1) % len(colors)], alpha=0.3, lw=0,
                        label=f"Grad-CAM: {label}")
    ax.plot(x, y, color="k", lw=0.8, label="spectrum")
    ax.set_xlim(max(x[0], x[-1]), min(x[0], x[-1]))
    ax.set_xlabel("wavenumber (cm$^{-1}$)")
    ax.set_ylabel("absorbance")
    ax.legend(loc="upper left", fontsize=8)
    if title:
        ax.set_title(title)
    if path is not None:
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format="png", dpi=110, bbox_inches="tight")
    return fig
