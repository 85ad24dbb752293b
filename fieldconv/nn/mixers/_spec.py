"""Reading the ``constraint=`` argument of a mixer into a parameterisation.

The accepted forms, and what each builds, are listed in
:class:`fieldconv.nn.ChannelMixer`; this module checks them and picks the
class.  Which combinations exist:

==========================  ====================================================
``None``                    :class:`Free`
``"orthogonal"``            :class:`Orthogonal` (semi-orthogonal if rectangular)
``"stochastic"``            :class:`ConservingNonnegative` with ``C = ones``
``"nonnegative"``           :class:`Nonnegative`
``{"conserve": C}``         :class:`Conserve` (a tuple ``(C_out, C_in)`` if
                            rectangular)
``+ "nonnegative": True``   :class:`ConservingNonnegative`
``+ "orthogonal": True``    :class:`Orthogonal` with the laws (square only)
``{"linear": (A, c)}``      :class:`LinearEquality` (``+ "conserve"``: merged)
==========================  ====================================================
"""

import numpy as np

from ._affine import Conserve, LinearEquality
from ._linalg import row_space_split
from ._orthogonal import Orthogonal
from ._parameterisation import Free, check_matrix
from ._polytope import ConservingNonnegative, Nonnegative

__all__ = ["make_parameterisation", "parse_constraint"]

_KEYS = ("conserve", "nonnegative", "orthogonal", "linear")
_NAMES = ("orthogonal", "stochastic", "nonnegative")


def _laws(value, in_channels, out_channels):
    """``(C_out, C_in)`` from the ``conserve`` entry, checked against the channels."""
    if isinstance(value, tuple):
        if len(value) != 2:
            raise ValueError(f"conserve given as a tuple must be (C_out, C_in); got a tuple of {len(value)} items")
        C_out = check_matrix("conserve C_out", np.atleast_2d(np.asarray(value[0], dtype=float)), (None, out_channels))
        C_in = check_matrix("conserve C_in", np.atleast_2d(np.asarray(value[1], dtype=float)), (None, in_channels))
        if C_out.shape[0] != C_in.shape[0]:
            raise ValueError(
                f"conserve: C_out and C_in must have one row per law; got {C_out.shape[0]} and {C_in.shape[0]} rows"
            )
    else:
        if in_channels != out_channels:
            raise ValueError(
                f"conserve: a rectangular mixer ({in_channels} -> {out_channels} channels) needs the pair "
                "(C_out, C_in) with C_out W = C_in; got a single array"
            )
        try:
            arr = np.asarray(value, dtype=float)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"conserve must be an array of shape (n_laws, channels); got {value!r} ({exc})") from None
        C_out = C_in = check_matrix("conserve", np.atleast_2d(arr), (None, in_channels))
    if C_out.shape[0] == 0:
        raise ValueError("conserve must hold at least one law; got 0 rows")
    return C_out, C_in


def _linear(value, in_channels, out_channels):
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise TypeError(f"linear must be a pair (A, c) with A vec(W) = c; got {type(value).__name__}")
    mn = in_channels * out_channels
    A = np.asarray(value[0], dtype=float)
    if A.ndim == 3:
        A = check_matrix("linear A", A, (None, out_channels, in_channels), ndim=3).reshape(A.shape[0], mn)
    A = check_matrix("linear A", np.atleast_2d(A), (None, mn))
    c = check_matrix("linear c", np.atleast_1d(np.asarray(value[1], dtype=float)), (A.shape[0],), ndim=1)
    if A.shape[0] == 0:
        raise ValueError("linear must hold at least one equation; got 0 rows of A")
    return A, c


def parse_constraint(constraint, in_channels, out_channels):
    """Normalised ``{key: value}`` of a constraint argument (keys from ``conserve, nonnegative, orthogonal, linear``)."""
    if constraint is None:
        return {}
    if isinstance(constraint, str):
        if constraint not in _NAMES:
            opts = ", ".join(repr(n) for n in _NAMES)
            raise ValueError(f"constraint must be None, one of {opts} or a dict; got {constraint!r}")
        if constraint == "stochastic":
            return {"conserve": (np.ones((1, out_channels)), np.ones((1, in_channels))), "nonnegative": True,
                    "stochastic": True}
        return {constraint: True}
    if not isinstance(constraint, dict):
        raise TypeError(f"constraint must be None, a str or a dict; got {type(constraint).__name__}")
    unknown = sorted(set(constraint) - set(_KEYS))
    if unknown:
        raise ValueError(f"constraint has unknown keys {unknown}; the keys are {list(_KEYS)}")
    spec = {}
    for flag in ("nonnegative", "orthogonal"):
        if flag in constraint:
            if not isinstance(constraint[flag], (bool, np.bool_)):
                raise TypeError(f"constraint[{flag!r}] must be True or False; got {constraint[flag]!r}")
            if constraint[flag]:
                spec[flag] = True
    if "conserve" in constraint:
        spec["conserve"] = _laws(constraint["conserve"], in_channels, out_channels)
    if "linear" in constraint:
        spec["linear"] = _linear(constraint["linear"], in_channels, out_channels)
    return spec


def _bias_for(cls_rule, kind, bias):
    if bias is None:
        return cls_rule in ("free", "nullspace")
    if bias and cls_rule == "never":
        raise ValueError(
            f"bias: a {kind} mixer cannot have a bias (b >= 0 keeps y >= 0 at x = 0, and C b = 0 "
            "then forces b = 0); pass bias=False or leave it None"
        )
    return bool(bias)


def make_parameterisation(constraint, in_channels, out_channels, *, bias, backend):
    """The parameterisation for `constraint`; `bias` None means "if the constraint allows one"."""
    spec = parse_constraint(constraint, in_channels, out_channels)
    kw = {"backend": backend}
    nonneg, ortho = spec.get("nonnegative", False), spec.get("orthogonal", False)
    laws, linear = spec.get("conserve"), spec.get("linear")
    if nonneg and ortho:
        raise ValueError(
            "constraint: orthogonal + nonnegative leaves only (partial) permutation matrices, a finite set "
            "that no continuous parameterisation can train; use one of the two"
        )
    if linear is not None and (nonneg or ortho):
        other = "nonnegative" if nonneg else "orthogonal"
        raise NotImplementedError(
            f"constraint: linear + {other} is not supported (a general linear constraint intersected with "
            f"the {other} set has no closed-form parameterisation); use conserve + {other} where the "
            "constraint is a conservation law"
        )
    if linear is not None:
        A, c = given = linear
        basis = None
        if laws is not None:
            C_out, C_in = laws
            n = in_channels
            # C_out W = C_in, row (l, j): sum_i C_out[l, i] W[i, j] = C_in[l, j]
            rows = np.einsum("li,jk->ljik", C_out, np.eye(n)).reshape(C_out.shape[0] * n, -1)
            A = np.vstack([rows, A])
            c = np.concatenate([C_in.reshape(-1), c])
            basis = row_space_split(C_out)[2]
        has_bias = _bias_for("free", "linear", bias)
        return LinearEquality(
            A, c, in_channels, out_channels, bias=has_bias, bias_basis=basis, conserve=laws, given=given, **kw
        )
    if ortho:
        has_bias = _bias_for("optional", "orthogonal", bias)
        if laws is None:
            return Orthogonal(in_channels, out_channels, bias=has_bias, **kw)
        C_out, C_in = laws
        if in_channels != out_channels or not np.array_equal(C_out, C_in):
            raise NotImplementedError(
                "constraint: orthogonal + conserve needs a square mixer with C_out = C_in (an orthogonal W "
                "that fixes the laws' row space); got "
                f"{in_channels} -> {out_channels} channels"
            )
        return Orthogonal(in_channels, out_channels, bias=has_bias, laws=C_out, **kw)
    if nonneg:
        if laws is None:
            return Nonnegative(in_channels, out_channels, bias=_bias_for("optional", "nonnegative", bias), **kw)
        kind = "stochastic" if spec.get("stochastic") else "conserve + nonnegative"
        _bias_for("never", kind, bias)
        return ConservingNonnegative(
            *laws, bias=False, kind="stochastic" if spec.get("stochastic") else "conserve", **kw
        )
    if laws is not None:
        return Conserve(*laws, bias=_bias_for("nullspace", "conserve", bias), **kw)
    return Free(in_channels, out_channels, bias=_bias_for("free", "unconstrained", bias), **kw)
