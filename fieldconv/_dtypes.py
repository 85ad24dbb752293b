"""The dtype table of fieldconv, applied by every operator.

======================  ==============
input dtype             working/output
======================  ==============
float32                 float32
float64                 float64
float16                 float32
bool, int*, uint*       float64
complex64               complex64
complex128              complex128
======================  ==============

Byte order does not matter: a big-endian (``'>f8'``) or little-endian input
has the working dtype of its kind and size in the machine's byte order, so
an operator's cast to the working dtype is also its native copy (numba and
FFTW need native data).  Anything else (object, str, datetime, ...) raises
``TypeError``.
"""

import numpy as np

__all__ = ["np_dtype", "native", "result_dtype", "complex_dtype", "real_dtype"]


def np_dtype(dtype):
    """The NumPy dtype of a NumPy, CuPy or array-API dtype object (or name).

    array_api_strict's dtypes are not NumPy dtypes but print as
    ``array_api_strict.float32``; every namespace uses NumPy's names.

    Examples
    --------
    >>> np_dtype("float32")
    dtype('float32')
    """
    if isinstance(dtype, np.dtype):
        return dtype
    try:
        return np.dtype(dtype)
    except TypeError:
        return np.dtype(str(dtype).rsplit(".", 1)[-1])


def native(dtype):
    """`dtype` in the machine's byte order (a byte-swapped ``'>f8'`` becomes ``float64``).

    Examples
    --------
    >>> native(np.dtype(">i4")) == np.dtype(np.int32)
    True
    """
    dt = np.dtype(dtype)
    return dt if dt.isnative else dt.newbyteorder("=")


def result_dtype(dtype, *, name="field", allow_complex=False):
    """Working dtype for an input of `dtype`, following the table above.

    `dtype` may be a NumPy dtype or an array-API dtype object (CuPy and
    array_api_strict both expose NumPy-compatible names), in either byte
    order; the working dtype is always in the machine's byte order.

    Examples
    --------
    >>> result_dtype(np.dtype(">f4"))
    dtype('float32')
    >>> result_dtype(np.dtype("int16"))
    dtype('float64')
    """
    dt = native(np_dtype(dtype))
    if dt == np.float32 or dt == np.float64:
        return dt
    if dt == np.float16:
        return np.dtype(np.float32)
    if dt.kind in "biu":
        return np.dtype(np.float64)
    if dt.kind == "c":
        if allow_complex:
            return np.dtype(np.complex128) if dt.itemsize > 8 else np.dtype(np.complex64)
        raise TypeError(f"{name} must be real; got dtype {dt}")
    raise TypeError(f"{name} must have a numeric dtype; got dtype {dt}")


def complex_dtype(dtype):
    """The complex dtype matching a real float dtype (float32 -> complex64)."""
    dt = np.dtype(dtype)
    if dt.kind == "c":
        return dt
    return np.dtype(np.complex64) if dt == np.float32 else np.dtype(np.complex128)


def real_dtype(dtype):
    """The real dtype matching a complex dtype (complex64 -> float32)."""
    dt = np.dtype(dtype)
    if dt.kind == "c":
        return np.dtype(np.float32) if dt == np.complex64 else np.dtype(np.float64)
    return dt
