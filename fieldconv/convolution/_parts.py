"""Complex data as real parts: a complex convolution is one, two or four real ones.

``(xr + i xi) * (wr + i wi) = (xr * wr - xi * wi) + i (xr * wi + xi * wr)``,
with the boundary extension of each part taken from the same part of
`cval` (``re(cval)`` extends ``xr``, ``im(cval)`` extends ``xi``), which is
the boundary extension of the complex field.  The exact methods (direct,
separable) and the compiled kernels are real; complex fields and kernels run
them on their parts (as scipy.ndimage does), so no complex specialisation is
ever compiled.  The FFT methods transform complex data directly.

Also here: reading complex weights (``Kernel`` holds real weights only, so a
complex kernel is given as an array).
"""

import numpy as np

from .._dtypes import np_dtype
from ..kernels import Kernel, as_kernel

__all__ = ["is_complex", "check_cval", "complex_weights", "field_parts", "kernel_parts", "combine"]


def is_complex(a):
    """True for an array (any backend) or scalar of a complex dtype."""
    dt = getattr(a, "dtype", None)
    if dt is None:
        return isinstance(a, complex) or np.iscomplexobj(a)
    return np_dtype(dt).kind == "c"


def check_cval(cval, field_complex):
    """`cval` as a float, or as a complex for a complex field (scipy.ndimage's rule: a complex cval needs one)."""
    if np.iscomplexobj(cval) and not field_complex:
        raise ValueError(
            f"cval is complex ({complex(cval)!r}) but field is real: a complex cval needs a complex field "
            "(cast it, e.g. field.astype(complex))"
        )
    try:
        return complex(cval) if field_complex else float(cval)
    except TypeError:
        raise TypeError(f"cval must be a number; got {cval!r}") from None


def complex_weights(kernel, name="kernel"):
    """``(weights complex128 ndarray, unit)`` of a complex array (or Quantity); None if `kernel` is real.

    The real and imaginary parts are validated by :func:`fieldconv.kernels.as_kernel`
    (finite, non-empty, at least 1-D), so the messages are those of real kernels.
    """
    if isinstance(kernel, Kernel):
        return None
    value = getattr(kernel, "value", kernel) if hasattr(kernel, "unit") else kernel
    if not is_complex(value):
        return None
    if not isinstance(value, np.ndarray) and hasattr(value, "__array_namespace__"):
        from ..backend import get_backend

        value = get_backend(like=value).to_numpy(value)
    value = np.asarray(value)
    unit = getattr(kernel, "unit", None)
    re = as_kernel(np.ascontiguousarray(value.real), argname=name)
    im = as_kernel(np.ascontiguousarray(value.imag), argname=name)
    return re.weights + 1j * im.weights, unit


def _real_part(be, x, imag):
    if be.on_host:
        return np.ascontiguousarray(x.imag if imag else x.real)
    return be.xp.imag(x) if imag else be.xp.real(x)


def field_parts(be, x, cval):
    """``[(imag, part, cval_part)]``: one real part for a real field, two for a complex one."""
    if not is_complex(x):
        return [(False, x, cval)]
    cval = complex(cval)
    return [(False, _real_part(be, x, False), cval.real), (True, _real_part(be, x, True), cval.imag)]


def kernel_parts(W):
    """``[(imag, real weights)]`` of `W`; a part that is exactly zero is left out (one part is always kept)."""
    if not np.iscomplexobj(W):
        return [(False, W)]
    parts = [(False, np.ascontiguousarray(W.real)), (True, np.ascontiguousarray(W.imag))]
    kept = [p for p in parts if np.any(p[1])]
    return kept or parts[:1]


def combine(be, terms, dt):
    """Sum of the real results ``[(field_imag, kernel_imag, y)]`` into one array of dtype `dt`.

    ``(re, re)`` adds to the real part, ``(im, im)`` subtracts from it, the
    mixed terms add to the imaginary part.  A real `dt` (real field, real
    kernel) returns the single term.
    """
    if np_dtype(dt).kind != "c":
        (_, _, y), = terms
        return y
    shape = tuple(terms[0][2].shape)
    if be.on_host:
        res = np.zeros(shape, dt)
        re, im = res.real, res.imag
        for fi, ki, y in terms:
            if fi == ki:
                if fi:
                    re -= y
                else:
                    re += y
            else:
                im += y
        return res
    xp = be.xp
    re = im = None
    for fi, ki, y in terms:
        if fi == ki:
            y = -y if fi else y
            re = y if re is None else re + y
        else:
            im = y if im is None else im + y
    cdt = be.dtype(dt)
    out = xp.astype(re, cdt) if re is not None else xp.zeros(shape, dtype=cdt, device=be.device)
    if im is not None:
        out = out + xp.astype(im, cdt) * xp.asarray(1j, dtype=cdt, device=be.device)
    return out
