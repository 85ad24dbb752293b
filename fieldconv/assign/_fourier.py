"""The assignment window in Fourier space: its transform, compensation, and interlaced painting.

The windows themselves (scheme table, B-spline weights, alias sums) live in
:mod:`fieldconv._windows`, shared with :mod:`fieldconv.kernels` and
:mod:`fieldconv.poisson`.
"""

import numpy as np

from .._deprecate import renamed, warn_deprecated
from .._dtypes import complex_dtype, np_dtype
from .._units import attach, strip, strip_like
from .._validate import as_spacing, check_int
from .._windows import aliasing_sum, phase_sum, scheme_order, window_transform
from ..backend import get_backend
from ._inputs import grid, length_unit, mesh_shape
from ._paint import paint

__all__ = ["window", "compensate", "paint_interlaced"]

_UNSET = object()


def window(k, scheme, spacing, *, backend=None):
    """Fourier transform of the assignment window, per axis product.

    Parameters
    ----------
    k : array or tuple of d broadcastable arrays, or Quantity, rad / length
        Angular wavenumber(s) (e.g. ``backend.kgrid(shape, spacing)``).
    scheme : {"ngp", "cic", "tsc", "pcs"}
    spacing : float or sequence of d floats, or Quantity
        Cell size ``h`` per axis (a Quantity needs `k` with units too).
    backend : str or Backend, optional
        Where the result lives (default: the backend of `k`; host arrays
        give a NumPy array).

    Returns
    -------
    W : float64 array, broadcast shape of `k`, on the backend
        ``prod_a sinc(k_a h_a / 2) ** p`` (``sinc(x) = sin x / x``).

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.assign import window
    >>> float(window(np.pi, "cic", 1.0))   # (2/pi)**2 at the Nyquist wavenumber
    0.4052847345693511
    """
    p = scheme_order(scheme)
    ks = k if isinstance(k, tuple) else (k,)
    kunit = None
    plain = []
    for ka in ks:
        ka, ku = strip(ka, "k")
        if ku is not None and kunit is not None and ku != kunit:
            ka = strip(ka * ku, "k", kunit)[0]
        kunit = kunit or ku
        plain.append(ka)
    hs = as_spacing(strip_like(spacing, "spacing", None if kunit is None else 1 / kunit, ref_name="k"), len(plain))
    be = get_backend(backend, like=plain[0])
    if be.on_host:
        return np.asarray(window_transform([be.to_numpy(ka) for ka in plain], p, hs))
    xp = be.xp
    out = None
    for ka, ha in zip(plain, hs):
        x = xp.astype(be.asarray(ka), be.dtype(np.float64)) * (0.5 * ha)
        nz = x != 0
        safe = xp.where(nz, x, xp.ones_like(x))
        f = xp.where(nz, xp.sin(safe) / safe, xp.ones_like(x)) ** p
        out = f if out is None else out * f
    return out


@renamed(mesh_k="field_k")
def compensate(field_k, scheme, *, shape=None, aliasing=False, interlaced=False, spacing=_UNSET, backend=None):
    """Divide a Fourier-space mesh by the assignment window (Jing 2005).

    Parameters
    ----------
    field_k : complex array or Quantity, rfftn layout
        ``rfftn`` of a painted mesh of real shape `shape`.  Not modified.
        (``mesh_k=`` is a deprecated alias.)
    scheme : {"ngp", "cic", "tsc", "pcs"}
    shape : sequence of d ints, optional
        Real-space shape; default assumes an even last axis.
    aliasing : bool, optional
        False (default): divide by ``prod_a sinc^p(k_a h_a/2)``, the field-level
        deconvolution.  True: divide by ``sqrt(sum_n W^2(k + 2 k_N n))``, the
        aliased window power (Jing's form, as nbodykit applies it): per axis
        ``1 - 2/3 s`` (CIC), ``1 - s + 2/15 s^2`` (TSC),
        ``1 - 4/3 s + 2/5 s^2 - 4/315 s^3`` (PCS), ``s = sin^2(k h/2)``.
        Makes the power of a Poisson sample flat (shot-noise dominated
        aliasing).
    interlaced : bool or int, optional
        The mesh came from :func:`paint_interlaced` with that many grids
        (True = 2).  With ``aliasing=True`` only the images that interlacing
        keeps (``sum_a n_a = 0 mod n``) are summed (series, 2 * 64 + 1 terms
        per axis; 4001 for NGP); with ``aliasing=False`` the deconvolution is
        the same sinc^-p.
    spacing : float or sequence of d floats, optional
        Deprecated and unused: the window depends on ``k h / 2 = pi m / n``,
        the mode index only.
    backend : str or Backend, optional

    Returns
    -------
    array like `field_k`, same complex dtype and unit, on its backend

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.assign import compensate
    >>> mk = np.ones((4, 3), dtype=np.complex128)
    >>> c = compensate(mk, "cic")
    >>> round(float(c[0, 2].real), 6)   # 1 / sinc(pi/2)^2
    2.467401
    """
    p = scheme_order(scheme)
    if spacing is not _UNSET:
        warn_deprecated("compensate(spacing=...) is deprecated and unused: the window depends on k h = 2 pi m / n, "
                        "the mode index only; leave spacing out", stacklevel=4)
    field_k, unit = strip(field_k, "field_k")
    if not hasattr(field_k, "shape"):
        field_k = np.asarray(field_k)  # a list: a NumPy array, then the same checks
    be = get_backend(backend, like=field_k)
    xp = be.xp
    kind = np_dtype(field_k.dtype).kind
    if kind != "c":
        what = {"f": "real", "i": "integer", "u": "integer", "b": "boolean"}.get(kind, f"{field_k.dtype}")
        raise TypeError(
            f"field_k must be a complex Fourier-space field (the rfftn of a painted mesh); got a {what} array "
            f"of dtype {field_k.dtype} (transform it first, e.g. numpy.fft.rfftn(mesh))"
        )
    if field_k.ndim < 1 or any(int(n) < 1 for n in field_k.shape):
        raise ValueError(f"field_k must have at least one mode along every axis; got shape {tuple(field_k.shape)}")
    mshape = tuple(int(n) for n in field_k.shape)
    ndim = len(mshape)
    if shape is None:
        shape = mshape[:-1] + (2 * (mshape[-1] - 1),)
    shape = mesh_shape(shape, ndim)
    if shape[:-1] != mshape[:-1] or shape[-1] // 2 + 1 != mshape[-1]:
        raise ValueError(f"field_k must have the rfftn shape of shape={shape}; got shape {mshape}")
    n_int = 0 if interlaced is False else (2 if interlaced is True else check_int("interlaced", interlaced, minimum=2))
    cdt = complex_dtype(np.float32 if np_dtype(field_k.dtype) == np.complex64 else np.float64)
    # per-axis host tables from the integer mode index (exact phases), then moved explicitly
    xs = []
    for a, n in enumerate(shape):
        m = np.arange(n // 2 + 1) if a == ndim - 1 else np.fft.fftfreq(n, 1.0 / n)
        xs.append(np.pi * m / n)  # k h / 2
    if not aliasing:
        facs = [np.sinc(x / np.pi) ** (-p) for x in xs]
        total = _outer(facs)
    elif not n_int:
        total = _outer([aliasing_sum(x, p) ** -0.5 for x in xs])
    else:
        terms = 2000 if p == 1 else 64
        acc = 0.0
        for mm in range(n_int):
            acc = acc + _outer([phase_sum(x, p, mm, n_int, terms) for x in xs])
        total = (acc.real / n_int) ** -0.5
    t = be.asarray(np.ascontiguousarray(total), copy=True) if not be.on_host else total
    t = xp.astype(t, be.dtype(cdt)) if not be.on_host else t.astype(cdt)
    return attach(field_k * t, unit)


def _outer(facs):
    out = facs[0]
    for f in facs[1:]:
        out = np.multiply.outer(out, f)
    return out



def paint_interlaced(
    positions,
    *,
    box_size,
    shape,
    scheme="cic",
    interlacing=2,
    weights=None,
    origin=0.0,
    compensated=False,
    aliasing=False,
    density=False,
    accumulate_dtype=None,
    backend=None,
):
    """Paint on `interlacing` shifted periodic grids, combined in Fourier space.

    Parameters
    ----------
    positions, box_size, shape, scheme, weights, origin, density, accumulate_dtype, backend
        As in :func:`paint` (always periodic).
    interlacing : int, optional
        Number of grids ``n >= 1``; grid ``m`` is shifted by ``m h / n`` along
        every axis.  Default 2 (the standard half-cell shift).
    compensated : bool, optional
        Also divide by the window (:func:`compensate` with ``interlaced=n``).
    aliasing : bool, optional
        Passed to :func:`compensate`.

    Returns
    -------
    field_k : complex array or Quantity, rfftn layout of `shape`
        ``(1/n) sum_m rfftn(mesh_m) * exp(i k . s_m)``, ``s_m = m h / n``.
        complex64 for float32 input.

    Notes
    -----
    Grid ``m`` holds the field shifted by ``-s_m``, so its image
    ``k + 2 pi N / h`` (``N`` an integer vector) carries the phase
    ``exp(-2 pi i m sum_a N_a / n)`` after the shift is undone; the average
    keeps only the images with ``sum_a N_a = 0 mod n``.  For ``n = 2`` all the
    images adjacent to the fundamental (the leading aliasing) cancel.
    Memory: two real meshes and one complex mesh.

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.assign import paint_interlaced
    >>> pos = np.random.default_rng(1).random((500, 3))
    >>> mk = paint_interlaced(pos, box_size=1.0, shape=(8, 8, 8))
    >>> mk.shape, round(float(mk[0, 0, 0].real), 9)
    ((8, 8, 5), 500.0)
    """
    n_int = check_int("interlacing", interlacing, minimum=1)
    if not isinstance(positions, tuple) and not hasattr(positions, "shape"):
        positions = np.asarray(positions)  # a list of coordinates
    be = get_backend(backend, like=positions[1] if isinstance(positions, tuple) else positions)
    xp = be.xp
    if np.ndim(shape):
        ndim = len(shape)
    else:
        pshape = tuple((positions[1] if isinstance(positions, tuple) else positions).shape)
        if len(pshape) != 2:
            raise ValueError(f"positions must have shape (N, d) with d = 1, 2 or 3; got shape {pshape}")
        ndim = int(pshape[1])
    shp = mesh_shape(shape, ndim)
    box, _, org, h = grid(box_size, shp, origin, ndim, length_unit(box_size, positions, origin))
    acc = None
    unit = None
    for m in range(n_int):
        o = tuple(oa - m * ha / n_int for oa, ha in zip(org, h))
        mesh = paint(positions, box_size=box_size, shape=shp, scheme=scheme, weights=weights, origin=o,
                     density=density, accumulate_dtype=accumulate_dtype, backend=be)
        mesh, unit = strip(mesh, "mesh")
        mk = be.rfftn(mesh)
        if m:
            ks = be.kgrid(shp, h, rfft=True)
            ph = None
            for a in range(ndim):
                t = ks[a] * (m * h[a] / n_int)
                ph = t if ph is None else ph + t
            cdt = be.dtype(np_dtype(mk.dtype))
            rot = xp.astype(xp.cos(ph), cdt) + xp.astype(xp.sin(ph), cdt) * 1j
            mk = mk * xp.astype(rot, cdt)
        acc = mk if acc is None else acc + mk
    if n_int > 1:
        acc = acc / n_int
    if compensated:
        acc = compensate(acc, scheme, shape=shp, aliasing=aliasing, interlaced=(n_int if n_int > 1 else False),
                         backend=be)
    return attach(acc, unit)
