"""Spectral tools: kernel sizes from physical widths, and receptive fields in cm^-1.

A kernel of ``k`` taps ``d`` points apart covers ``(k-1)*d + 1`` samples,
that is ``((k-1)*d + 1) * |step|`` cm^-1 of a grid of step ``step`` (each
sample stands for one bin of width ``|step|``).  :func:`kernel_size_for`
inverts this for a band width; :func:`receptive_field` composes it through a
model.
"""

import math
from collections import namedtuple

from ._checks import check_int, check_real, strip_wavenumber
from .._grid import as_grid

__all__ = ["kernel_size_for", "receptive_field", "ReceptiveField", "width_in_wavenumbers"]

ReceptiveField = namedtuple("ReceptiveField", ["points", "width", "stride"])
ReceptiveField.__doc__ = """Receptive field of a model (see :func:`receptive_field`).

``points`` (input samples one output sees), ``width`` (cm^-1, or None
without a grid) and ``stride`` (input samples between neighbouring outputs).

Examples
--------
>>> from fieldconv.nn import ReceptiveField
>>> ReceptiveField(15, 15.0, 1).width
15.0
"""


def width_in_wavenumbers(width, name="width"):
    """A positive width in cm^-1 from a float (cm^-1) or a Quantity of wavenumber units.

    Raises
    ------
    ValueError
        A Quantity that is not a wavenumber; a width that is not positive and finite.
    TypeError
        If `width` is not a real number.

    Examples
    --------
    >>> import astropy.units as u
    >>> from fieldconv.nn import width_in_wavenumbers
    >>> width_in_wavenumbers(15 * u.cm**-1), width_in_wavenumbers(2000 * u.m**-1)
    (15.0, 20.0)
    """
    return check_real(name, strip_wavenumber(width, name), minimum=0.0, strict_min=True)


def kernel_size_for(width, grid, *, dilation=1):
    """Odd kernel size whose footprint on `grid` is closest to `width`.

    Parameters
    ----------
    width : float or Quantity
        Physical width (cm^-1, or a Quantity convertible to cm^-1), e.g.
        1-1.5 times the narrowest band of interest at the data's resolution.
    grid : array_like, Quantity or SpectralAxis
        Uniform wavenumber axis (any direction); only its step is used.
    dilation : int, optional
        Step between taps (default 1).

    Returns
    -------
    int
        The odd ``k >= 1`` (a kernel with a centre tap) for which
        ``(k - 1) * dilation + 1`` samples is nearest to ``width / |step|``
        (ties go to the larger kernel).

    Raises
    ------
    ValueError
        Non-positive `width`; a Quantity `width` that is not a wavenumber; a
        `grid` that is not a uniform wavenumber axis; a kernel wider than the
        grid.

    Examples
    --------
    >>> import numpy as np
    >>> import astropy.units as u
    >>> from fieldconv.nn import kernel_size_for
    >>> nu = np.arange(4000.0, 399.0, -1.0)       # 1 cm^-1, descending
    >>> kernel_size_for(15.0, nu), kernel_size_for(16.0, nu), kernel_size_for(15 * u.cm**-1, nu, dilation=2)
    (15, 17, 9)
    >>> kernel_size_for(15 * u.nm, nu)
    Traceback (most recent call last):
    ...
    ValueError: width must be a wavenumber convertible to cm-1; got unit nm
    """
    w = width_in_wavenumbers(width)
    g = as_grid(grid)
    d = check_int("dilation", dilation, minimum=1)
    samples = w / g.spacing
    half_taps = math.floor((samples - 1) / (2 * d) + 0.5)  # round half up: ties to the larger kernel
    k = 2 * max(half_taps, 0) + 1
    if (k - 1) * d + 1 > len(g):
        raise ValueError(
            f"width {w:g} cm^-1 gives a kernel of {(k - 1) * d + 1} points, wider than the grid "
            f"({len(g)} points of {g.spacing:g} cm^-1)"
        )
    return k


def _geometry(layer):
    """Fold the windows of `layer` into (receptive points, stride); stop at the first collapse."""
    from .containers import Residual, Sequential

    if isinstance(layer, Sequential):
        rf, jump = 1, 1
        for child in layer:
            (r, s), stop = _geometry(child)
            rf += (r - 1) * jump
            jump *= s
            if stop:
                return (rf, jump), True
        return (rf, jump), False
    if isinstance(layer, Residual):
        return _geometry(layer.block)  # the block sees at least what the shortcut sees
    geom = layer.window_geometry() if hasattr(layer, "window_geometry") else (1, 1)
    if geom is None:  # pools to regions, flattens: positions end here
        return (1, 1), True
    return geom, False


def receptive_field(model, grid=None):
    """Input samples (and cm^-1) that one output point of the convolutional trunk sees.

    The composition runs through :class:`~fieldconv.nn.Sequential` and
    :class:`~fieldconv.nn.Residual` containers and stops at the first layer
    that ends the position axis (:class:`~fieldconv.nn.RegionPool`,
    :class:`~fieldconv.nn.GlobalPool`, :class:`~fieldconv.nn.Flatten`).

    Parameters
    ----------
    model : Layer
    grid : array_like, Quantity or SpectralAxis, optional
        The input's wavenumber axis; default ``model.grid`` if the model has
        one.  Without a grid ``width`` is None.

    Returns
    -------
    ReceptiveField
        ``(points, width, stride)``: ``points = 1 + sum_l (span_l - 1) * J_l``
        with ``span_l = dilation*(kernel_size-1)+1`` and ``J_l`` the product of
        the strides before layer ``l``; ``width = points * |step|``.

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.nn import Conv1D, MaxPool1D, ReLU, Sequential, receptive_field
    >>> nu = np.arange(400.0, 4000.0, 1.0)
    >>> net = Sequential(Conv1D(1, 4, 15), ReLU(), MaxPool1D(2), Conv1D(4, 4, 9, dilation=2))
    >>> receptive_field(net, nu)
    ReceptiveField(points=48, width=48.0, stride=2)
    """
    (points, stride), _ = _geometry(model)
    if grid is None:
        grid = getattr(model, "grid", None)
    width = None if grid is None else points * as_grid(grid).spacing
    return ReceptiveField(points, width, stride)
