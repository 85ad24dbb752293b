"""Channel statistics of a field and how a mixer transforms them: Gram matrices, conserved totals."""

import numpy as np

from ...backend import get_backend
from ._apply import as_slabs, mix_forward, outer_sum
from ._field import dtype_name, prepare_field
from ._parameterisation import check_matrix

__all__ = ["channel_gram", "gram_transform", "conserved_totals"]


def _gram64(be, x, axis, *, augmented=False, center=False):
    """Float64 ``(G, sums, count)`` of field `x` around `axis` (``G`` centred if `center`)."""
    xp = be.xp
    x3, P, Q = as_slabs(xp, x, axis)
    C = x3.shape[1]
    count = P * Q
    sums = xp.sum(x3, axis=(0, 2), dtype=be.dtype(np.float64))
    shift = None
    if center:
        shift = xp.astype(sums / count, x3.dtype)
    G = outer_sum(be, x3, x3, P, Q, shift_a=shift, shift_b=shift)
    if center and shift is not None:
        # the shift was rounded to the field's dtype: correct to the exact mean (a rank-one update)
        d = sums / count - xp.astype(shift, be.dtype(np.float64))
        G = G - count * xp.matmul(xp.reshape(d, (C, 1)), xp.reshape(d, (1, C)))
    return G, sums, count


def channel_gram(field, *, channel_axis=0, augmented=False, backend=None):
    """The Gram matrix of the channel vectors of a field, ``G = sum_p x_p x_p^T``.

    Parameters
    ----------
    field : array, shape (..., C, ...)
        Field with its channels along `channel_axis`.
    channel_axis : int, optional
        Axis of the channels (default 0).
    augmented : bool, optional
        Return the ``(C + 1) x (C + 1)`` Gram matrix of ``[x; 1]``,
        ``[[G, s], [s^T, N]]`` with ``s = sum_p x_p`` and ``N`` the number of
        points: the form that :func:`gram_transform` maps exactly through a
        mixer with a bias.
    backend : str or Backend, optional
        Default: the field's.

    Returns
    -------
    array, shape (C, C) or (C + 1, C + 1)
        Backend array in the field's working dtype (float32 -> float32),
        accumulated in float64.

    Raises
    ------
    ValueError
        If `channel_axis` is out of range.

    Notes
    -----
    One pass over the field, by the same chunked products as the mixer's
    weight gradient (no copy of the field).  ``G / N`` is the channels'
    second-moment matrix; ``G / N - m m^T`` (``m = s / N``) their covariance.

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.nn.mixers import channel_gram
    >>> x = np.arange(6.0).reshape(2, 3)         # 2 channels, 3 points
    >>> channel_gram(x)
    array([[ 5., 14.],
           [14., 50.]])
    >>> channel_gram(x, augmented=True)[-1]
    array([ 3., 12.,  3.])
    """
    be = get_backend(backend, like=field)
    x, axis = prepare_field(be, field, channel_axis)
    G, sums, count = _gram64(be, x, axis)
    xp = be.xp
    if augmented:
        C = G.shape[0]
        Ga = be.zeros((C + 1, C + 1), dtype=np.float64)
        Ga[:C, :C] = G
        Ga[:C, C] = sums
        Ga[C, :C] = sums
        Ga[C, C] = float(count)
        G = Ga
    return xp.astype(G, x.dtype)


def _weight_and_bias(mixer, bias):
    from ._channel_mixer import ChannelMixer

    if isinstance(mixer, ChannelMixer):
        if bias is not None:
            raise ValueError("bias must not be given with a ChannelMixer (its own bias is used)")
        return mixer.weight64()
    W = check_matrix("mixer", _host(mixer))
    b = None if bias is None else check_matrix("bias", _host(bias), (W.shape[0],), ndim=1)
    return W, b


def _host(a):
    if hasattr(a, "__array_namespace__") and not isinstance(a, np.ndarray):
        return get_backend(like=a).to_numpy(a)
    return a


def gram_transform(gram, mixer, bias=None):
    """The Gram matrix of a mixer's output from that of its input: ``G(W x) = W G(x) W^T``.

    Parameters
    ----------
    gram : array, shape (C_in, C_in) or (C_in + 1, C_in + 1)
        Output of :func:`channel_gram` (plain or ``augmented``).
    mixer : ChannelMixer or array, shape (C_out, C_in)
        The mixer, or its weight ``W``.
    bias : array, shape (C_out,), optional
        The bias ``b`` when `mixer` is a matrix.

    Returns
    -------
    array, shape (C_out, C_out) or (C_out + 1, C_out + 1)
        ``W G W^T``; for an augmented `gram`,
        ``W_a G W_a^T`` with ``W_a = [[W, b], [0, 1]]``.  Same backend and
        dtype as `gram` (the small product runs there).

    Raises
    ------
    ValueError
        If the sizes do not match, or the mixer has a non-zero bias and `gram`
        is not augmented (the plain Gram matrix then does not determine the
        output's).

    Notes
    -----
    Exact identities: ``sum_p (W x_p)(W x_p)^T = W (sum_p x_p x_p^T) W^T``, and
    with a bias ``[y; 1] = W_a [x; 1]``.  The totals ``s`` transform as
    ``W s + N b`` (last column of the augmented result); an orthogonal mixer
    preserves the trace (total energy), a conserving one the totals
    ``C s``.

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.nn.mixers import channel_gram, gram_transform
    >>> rng = np.random.default_rng(0)
    >>> x, W = rng.standard_normal((3, 50)), rng.standard_normal((2, 3))
    >>> bool(np.allclose(gram_transform(channel_gram(x), W), channel_gram(W @ x)))
    True
    """
    be = get_backend(like=gram)
    xp = be.xp
    G = be.asarray(gram)
    W, b = _weight_and_bias(mixer, bias)
    m, n = W.shape
    if G.ndim != 2 or G.shape[0] != G.shape[1] or G.shape[0] not in (n, n + 1):
        raise ValueError(
            f"gram must have shape ({n}, {n}) or, augmented, ({n + 1}, {n + 1}) for a mixer with "
            f"{n} input channels; got {tuple(G.shape)}"
        )
    augmented = G.shape[0] == n + 1
    if not augmented and b is not None and np.any(b != 0):
        raise ValueError(
            "gram: the mixer has a non-zero bias, so G(W x + b) depends on the totals too; pass the "
            "augmented Gram matrix, channel_gram(field, augmented=True)"
        )
    if augmented:
        Wa = np.zeros((m + 1, n + 1))
        Wa[:m, :n] = W
        Wa[:m, n] = 0.0 if b is None else b
        Wa[m, n] = 1.0
        W = Wa
    Wd = be.asarray(W, dtype=dtype_name(G.dtype), copy=True)
    return xp.matmul(Wd, xp.matmul(G, Wd.T))


def conserved_totals(field, laws, *, channel_axis=0, per_point=False, dtype=None, backend=None):
    """The conserved quantities ``C x`` of a field, summed over all points or at each point.

    Parameters
    ----------
    field : array, shape (..., channels, ...)
    laws : array_like, shape (n_laws, channels) or (channels,)
        One law per row (e.g. ``ones`` for the total, atom counts per
        species, masses).
    channel_axis : int, optional
        Axis of the channels (default 0).
    per_point : bool, optional
        Return ``C x`` at every point (the field with ``n_laws`` along the
        channel axis) instead of the totals.
    dtype : dtype, optional
        dtype of the result (default: the field's working dtype).  The totals
        are always accumulated in float64; ask for float64 to keep that
        precision for a float32 field.
    backend : str or Backend, optional
        Default: the field's.

    Returns
    -------
    array
        ``(n_laws,)`` totals, or the per-point field; backend array.

    Raises
    ------
    ValueError
        If `laws` does not have one column per channel, or `channel_axis` is
        out of range.

    Notes
    -----
    Totals: ``C (sum_p x_p)``, the channel sums accumulated in float64 (the
    backend's pairwise summation) and multiplied by ``C`` in float64.  For a
    conserving mixer ``C W = C``, these are unchanged by the mixer up to
    round-off (see ``docs/mixers.md`` for the bound).

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.nn import ChannelMixer
    >>> from fieldconv.nn.mixers import conserved_totals
    >>> C = np.array([[1.0, 1.0, 1.0], [0.0, 1.0, 2.0]])      # mass, charge
    >>> mix = ChannelMixer(3, 3, constraint={"conserve": C}, dtype=np.float64, rng=0)
    >>> x = np.random.default_rng(1).random((3, 16, 16))
    >>> before, after = conserved_totals(x, C), conserved_totals(mix(x), C)
    >>> bool(np.all(np.abs(after - before) <= 1e-13 * np.abs(before)))
    True
    """
    be = get_backend(backend, like=field)
    xp = be.xp
    x, axis = prepare_field(be, field, channel_axis)
    nchan = x.shape[axis]
    Cl = check_matrix("laws", np.atleast_2d(np.asarray(_host(laws), dtype=np.float64)), (None, nchan))
    out_dtype = be.dtype(np.dtype(dtype) if dtype is not None else np.dtype(dtype_name(x.dtype)))
    x3, P, Q = as_slabs(xp, x, axis)
    if per_point:
        y3, _ = mix_forward(be, be.asarray(Cl, dtype=dtype_name(x3.dtype), copy=True), None, x3, P, Q, check_finite=False)
        shape = tuple(x.shape[:axis]) + (Cl.shape[0],) + tuple(x.shape[axis + 1 :])
        return xp.astype(xp.reshape(y3, shape), out_dtype)
    sums = xp.sum(x3, axis=(0, 2), dtype=be.dtype(np.float64))
    return xp.astype(xp.matmul(be.asarray(Cl, copy=True), sums), out_dtype)
