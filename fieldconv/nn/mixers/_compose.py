"""Collapsing a chain of linear mixers into one."""

import numpy as np

__all__ = ["collapse_mixers"]

_AUTO = "auto"


def _chained_laws(descs):
    """``(C_out of the last, C_in of the first)`` if every interface matches, else None."""
    laws = [d.get("conserve") for d in descs]
    if any(law is None for law in laws):
        return None
    for (c_out, _), (_, c_in_next) in zip(laws[:-1], laws[1:]):
        if c_out.shape != c_in_next.shape or not np.allclose(c_out, c_in_next, rtol=1e-12, atol=0.0):
            return None
    return laws[-1][0], laws[0][1]


def _common_constraint(descs, n_in, n_out):
    """The constraint the product provably keeps (checked afterwards), or None."""
    kinds = {d["kind"] for d in descs}
    if len(kinds) != 1:
        return None
    kind = kinds.pop()
    if kind in ("none", "linear"):  # linear constraints are not closed under products
        return None
    if kind in ("stochastic", "nonnegative"):
        return kind
    laws = _chained_laws(descs) if any("conserve" in d for d in descs) else None
    if kind == "orthogonal":
        if laws is None:
            return None if any("conserve" in d for d in descs) else "orthogonal"
        return {"conserve": laws[0], "orthogonal": True}
    if kind == "conserve" and laws is not None:
        spec = {"conserve": laws if (n_in != n_out or not np.array_equal(*laws)) else laws[0]}
        if all(d.get("nonnegative") for d in descs):
            spec["nonnegative"] = True
        return spec
    return None


def collapse_mixers(mixers, *, constraint=_AUTO):
    """One mixer equal to a chain of mixers applied in order: ``W = W_k W_(k-1) (...) W_1``.

    Parameters
    ----------
    mixers : sequence of ChannelMixer
        Applied first to last; each one's ``out_channels`` must equal the
        next one's ``in_channels``, and all share a channel axis and backend.
    constraint : "auto", None, str or dict, optional
        The collapsed mixer's constraint.  ``"auto"`` (default): the common
        constraint of the chain when products keep it -- conservation laws
        whose interfaces chain (``C_in`` of each = ``C_out`` of the one
        before; the result conserves ``(C_out last, C_in first)``),
        stochastic, non-negative, orthogonal (kept when the product is still
        semi-orthogonal: not for a chain that widens then narrows) -- else
        None.  An explicit constraint must be satisfied by the product.

    Returns
    -------
    ChannelMixer
        ``W = W_k ... W_1``, ``b = W_k (... (W_2 b_1 + b_2) ...) + b_k``, formed in
        float64 on the host; the dtype is the widest of the chain's.

    Raises
    ------
    ValueError
        For an empty chain, channel counts that do not chain, different
        channel axes or backends, or an explicit constraint that the product
        does not satisfy.
    TypeError
        If an element is not a ChannelMixer.

    Notes
    -----
    Why the constraints survive: ``C W_2 W_1 = C W_1 = C`` and
    ``C (W_2 b_1 + b_2) = C b_1 + C b_2 = 0`` (conservation); a product of
    column-stochastic / non-negative / orthogonal matrices is one.  The
    collapsed mixer is built with that constraint and checked against it,
    so the claim is tested on every call, not assumed.

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.nn import ChannelMixer
    >>> from fieldconv.nn.mixers import collapse_mixers
    >>> C = np.array([[1.0, 1.0, 1.0]])
    >>> a, b = (ChannelMixer(3, 3, constraint={"conserve": C}, dtype=np.float64, rng=s) for s in (1, 2))
    >>> ab = collapse_mixers([a, b])
    >>> ab.constraint_kind
    'conserve'
    >>> x = np.random.default_rng(0).random((3, 10))
    >>> bool(np.allclose(ab(x), b(a(x))))
    True
    """
    from ._channel_mixer import ChannelMixer

    mixers = list(mixers)
    if not mixers:
        raise ValueError("mixers must hold at least one ChannelMixer; got an empty sequence")
    for i, m in enumerate(mixers):
        if not isinstance(m, ChannelMixer):
            raise TypeError(f"mixers[{i}] must be a ChannelMixer; got {type(m).__name__}")
    first = mixers[0]
    for i, (a, b) in enumerate(zip(mixers[:-1], mixers[1:])):
        if a.out_channels != b.in_channels:
            raise ValueError(
                f"mixers[{i + 1}] must take mixers[{i}]'s {a.out_channels} output channels; "
                f"it has in_channels={b.in_channels}"
            )
        if b.channel_axis != first.channel_axis:
            raise ValueError(
                f"mixers[{i + 1}] must share channel_axis={first.channel_axis}; got {b.channel_axis}"
            )
        if b.backend is not first.backend:
            raise ValueError(f"mixers[{i + 1}] must share the first mixer's backend; got {b.backend!r}")
    W, bias = first.weight64()
    for m in mixers[1:]:
        Wm, bm = m.weight64()
        bias = None if bias is None else Wm @ bias
        if bm is not None:
            bias = bm if bias is None else bias + bm
        W = Wm @ W
    n_in, n_out = first.in_channels, mixers[-1].out_channels
    dtype = np.result_type(*(m.dtype for m in mixers))
    descs = [m._param.describe() for m in mixers]
    auto = isinstance(constraint, str) and constraint == _AUTO
    spec = _common_constraint(descs, n_in, n_out) if auto else constraint
    kw = dict(channel_axis=first.channel_axis, dtype=dtype, backend=first.backend)
    if spec is not None:
        try:
            out = ChannelMixer(n_in, n_out, constraint=spec, bias=bias is not None, **kw)
            return out.set_weight(W, bias if out.has_bias else None)
        except ValueError:
            if not auto:
                raise
    return ChannelMixer(n_in, n_out, bias=bias is not None, **kw).set_weight(W, bias)
