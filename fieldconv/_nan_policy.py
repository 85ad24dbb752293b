"""The NaN policies of every smoothing operator: one vocabulary, one normalised convolution.

``nan_policy`` takes the values of :data:`NAN_POLICIES` everywhere
(:func:`fieldconv.convolve`, :func:`fieldconv.spectra.convolve_instrument`,
:func:`fieldconv.spectra.resample`, :func:`fieldconv.filters.smooth_laplacian`):

``"propagate"`` (default)
    NaN spreads to every output that sees it.  An operator whose every
    output sees every sample (a product in Fourier space) would turn one
    NaN into an all-NaN result: it raises ``ValueError`` instead, naming
    ``nan_policy="interpolate"``.
``"interpolate"``
    Normalised convolution: NaN samples are left out and each output is the
    kernel-weighted mean of the valid samples it sees
    (``S(x0) / S(valid)`` times the kernel sum, :func:`normalised`); NaN
    where it sees none (for an operator computed by FFT: where their weight
    is below :data:`FFT_WEIGHT_FLOOR`, sqrt(eps), of the kernel's).
``"raise"``
    ``ValueError`` if the data hold NaN.

Infinite values are data, not missing samples: an operator that sums a
neighbourhood exactly gives inf there (as scipy.ndimage does); an operator
that works in Fourier space cannot carry them (``inf - inf`` is NaN in every
output) and raises ``ValueError`` (:func:`refuse_infinite`), whatever the
policy.

Private leaf module: no fieldconv imports.
"""

import math

import numpy as np

__all__ = ["NAN_POLICIES", "check_nan_policy", "nan_count", "inf_count", "refuse_nan", "refuse_infinite",
           "normalised", "FFT_WEIGHT_FLOOR"]

#: What to do with NaN in the data.
NAN_POLICIES = ("propagate", "interpolate", "raise")

#: Relative weight of the valid samples below which an FFT-based normalised convolution gives NaN:
#: an FFT round trip leaves ~eps log2(N) of noise in ``S(valid)``, so ``S(x0) / S(valid)`` is good to
#: ~sqrt(eps) log2(N) relative where ``S(valid) >= sqrt(eps)`` times the kernel's sum of magnitudes.
FFT_WEIGHT_FLOOR = math.sqrt(np.finfo(np.float64).eps)


def check_nan_policy(nan_policy):
    """`nan_policy` if it is one of :data:`NAN_POLICIES`, else ``ValueError``."""
    if not isinstance(nan_policy, str) or nan_policy not in NAN_POLICIES:
        raise ValueError(f"nan_policy must be one of {NAN_POLICIES}; got {nan_policy!r}")
    return nan_policy


def nan_count(x, xp=np):
    """Number of NaN in `x` (a host int)."""
    if xp is np:
        return int(np.count_nonzero(np.isnan(x)))
    return int(xp.sum(xp.astype(xp.isnan(x), xp.int64)))


def inf_count(x, xp=np):
    """Number of +-inf in `x` (a host int)."""
    if xp is np:
        return int(np.count_nonzero(np.isinf(x)))
    return int(xp.sum(xp.astype(xp.isinf(x), xp.int64)))


def refuse_nan(count, nan_policy, name, *, global_op=None):
    """Raise for `count` NaN under `nan_policy` ("raise", or "propagate" in an operator named by `global_op`).

    `global_op` says why every output would see the NaN (e.g. "the
    line-shape convolution is a product in Fourier space"); None for an
    operator where "propagate" keeps NaN local.
    """
    if not count:
        return
    if nan_policy == "raise":
        raise ValueError(f"{name} contains {count} NaN value(s) and nan_policy='raise'")
    if nan_policy == "propagate" and global_op is not None:
        raise ValueError(
            f"{name} contains {count} NaN value(s): {global_op}, so with nan_policy='propagate' they would "
            "spread to every output; use nan_policy='interpolate' (NaN samples left out) or remove them"
        )


def refuse_infinite(count, name, why):
    """Raise ``ValueError`` for `count` infinite values in an operator that cannot carry them (`why`)."""
    if count:
        raise ValueError(
            f"{name} contains {count} infinite value(s): {why}, so they would make every output NaN; "
            "replace them (e.g. by NaN with nan_policy='interpolate')"
        )


def normalised(apply, x, *, tiny, scale=1.0, preserve_nan=False, xp=np):
    """Normalised convolution of `x` by the linear operator `apply`: NaN samples left out.

    ``out = scale * apply(x0) / apply(valid)`` with ``x0`` = `x` with NaN
    set to 0 and ``valid`` its 0/1 mask; NaN where ``|apply(valid)| <=
    tiny`` (no valid sample within reach, to rounding).  `scale` is the
    kernel's sum (1 for a normalised kernel).  `preserve_nan` puts NaN back
    at the NaN samples.

    Parameters
    ----------
    apply : callable
        The operator, applied to arrays of the shape and dtype of `x`.
    x : array
        Data with NaN marking missing samples.
    tiny : float
        Threshold on the weight of valid samples (derive it from the
        operator's rounding error on the 0/1 mask).
    """
    mask = xp.isnan(x)
    zero = xp.zeros_like(x)
    x0 = xp.where(mask, zero, x)
    valid = xp.where(mask, zero, xp.ones_like(x))
    num = apply(x0)
    den = apply(valid)
    ok = xp.abs(den) > tiny
    out = xp.where(ok, num / xp.where(ok, den, xp.ones_like(den)), xp.full_like(num, math.nan))
    if scale != 1.0:
        out = out * scale
    if preserve_nan:
        out = xp.where(mask, xp.full_like(out, math.nan), out)
    return out
