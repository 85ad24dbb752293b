"""Position as a feature: :class:`CoordinateChannel` (CoordConv, Liu et al. 2018)."""

import numpy as np

from ..backend import get_backend
from ._checks import dtype_name
from .._grid import as_grid
from ._layer import Layer

__all__ = ["CoordinateChannel"]


class CoordinateChannel(Layer):
    """Append the (scaled) wavenumber as one more channel: (B, C, L) -> (B, C+1, L).

    A convolution after it sees where it is on the spectral axis, so the
    same band shape at 2250 and at 2150 cm^-1 can give different features.

    Parameters
    ----------
    grid : array_like, Quantity or SpectralAxis, optional
        Wavenumber axis of the model's input.  The channel is
        ``(nu - nu_mid) / (nu_range / 2)``, in [-1, 1] and increasing with
        wavenumber whatever the grid's direction; on a map of ``L <= n``
        points, point ``i`` stands at grid index ``(i + 1/2) n / L - 1/2``.
        Without a grid: ``2 (i + 1/2) / L - 1`` (increasing with index).
    backend : str or Backend, optional

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.nn import CoordinateChannel
    >>> cc = CoordinateChannel(grid=np.linspace(4000.0, 400.0, 5))
    >>> cc(np.zeros((1, 1, 5), np.float32))[0, 1]
    array([ 1. ,  0.5,  0. , -0.5, -1. ], dtype=float32)
    """

    def __init__(self, grid=None, *, backend=None):
        self.grid = None if grid is None else as_grid(grid)
        self._backend = backend
        self._cache = {}
        self._shape = None

    def __repr__(self):
        return f"CoordinateChannel(grid={self.grid!r})"

    def config(self):
        return {"grid": None if self.grid is None else self.grid.metadata()}

    def coordinate(self, length):
        """The appended channel on a `length`-point map, as float64 NumPy values."""
        i = np.arange(length, dtype=np.float64)
        if self.grid is None:
            return 2.0 * (i + 0.5) / length - 1.0
        g = self.grid
        n = len(g)
        nu = g.start + g.step * ((i + 0.5) * n / length - 0.5)
        lo, hi = min(g.start, g.values[-1]), max(g.start, g.values[-1])
        return (nu - 0.5 * (lo + hi)) / (0.5 * (hi - lo))

    def forward(self, x):
        be = get_backend(self._backend, like=x)
        x = be.asarray(x)
        if x.ndim != 3:
            raise ValueError(f"x must be 3-D (batch, channels, length); got shape {tuple(x.shape)}")
        xp = be.xp
        b, c, length = x.shape
        key = (length, dtype_name(x.dtype), id(be))
        coord = self._cache.get(key)
        if coord is None:
            coord = self._cache[key] = be.asarray(np.reshape(self.coordinate(length), (1, 1, length)),
                                                  dtype_name(x.dtype), copy=True)
        self._shape = (b, c, length)
        return xp.concat([x, xp.broadcast_to(coord, (b, 1, length))], axis=1)

    def backward(self, grad_out):
        if self._shape is None:
            raise RuntimeError("CoordinateChannel.backward needs a forward first")
        b, c, length = self._shape
        if tuple(grad_out.shape) != (b, c + 1, length):
            raise ValueError(f"grad_out must have the output's shape {(b, c + 1, length)}; got {tuple(grad_out.shape)}")
        return grad_out[:, :c, :]
