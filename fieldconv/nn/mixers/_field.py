"""Checking a field handed to a mixer or a mixer tool: backend, dtype table, channel axis."""

from ..._dtypes import result_dtype

__all__ = ["prepare_field", "dtype_name"]


def dtype_name(dtype):
    """``"float32"`` for NumPy, CuPy and array-API dtype objects alike."""
    return str(dtype).rsplit(".", 1)[-1]


def prepare_field(be, x, channel_axis, *, name="field", channels=None):
    """`x` as a backend array in its working dtype, and the channel axis as a non-negative int.

    Raises ``HostDeviceCopyError`` for an array of another device,
    ``TypeError`` for a non-real dtype and ``ValueError`` for a 0-D array, an
    out-of-range `channel_axis` or (with `channels`) a wrong channel count.
    """
    xp = be.xp
    x = be.asarray(x)
    if x.ndim == 0:
        raise ValueError(f"{name} must have at least one axis (the channels); got a 0-D array")
    nd = x.ndim
    if not -nd <= channel_axis < nd:
        raise ValueError(f"channel_axis must lie in [-{nd}, {nd}) for a {nd}-D {name}; got {channel_axis}")
    axis = channel_axis % nd
    if channels is not None and x.shape[axis] != channels:
        raise ValueError(
            f"{name} must have in_channels={channels} entries along channel_axis={channel_axis}; "
            f"got shape {tuple(x.shape)}"
        )
    work = result_dtype(x.dtype, name=name)
    if dtype_name(x.dtype) != work.name:
        x = xp.astype(x, be.dtype(work))
    return x, axis
