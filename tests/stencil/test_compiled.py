"""The stencil's numba kernels compile only what a call needs: one specialisation per dtype and kernel."""

import numpy as np
import pytest

pytest.importorskip("numba")

from fieldconv.stencil import gradient, laplacian  # noqa: E402


def _sigs(fn):
    return {tuple(str(a) for a in sig) for sig in fn.signatures}


def test_one_specialisation_per_dtype_whatever_the_input_flags(rng):
    from fieldconv.stencil import _compiled

    f = rng.standard_normal((6, 5, 8))
    ro = f.copy()
    ro.flags.writeable = False
    before_star, before_taps = _sigs(_compiled._star3d_r1), _sigs(_compiled._apply)
    a = laplacian(f, 1.0, bc="periodic", backend="numpy")
    b = laplacian(ro, 1.0, bc="periodic", backend="numpy")
    np.testing.assert_array_equal(a, b)
    new_star = _sigs(_compiled._star3d_r1) - before_star
    assert len(_sigs(_compiled._star3d_r1)) - len(before_star) <= 1  # writable and read-only share one
    assert all("readonly" in s[0] or "True" in s[0] for s in _sigs(_compiled._star3d_r1)), new_star
    assert _sigs(_compiled._apply) == before_taps  # the 3-D radius-1 Laplacian compiles no generic kernel
    g = gradient(ro.astype(np.float32), 1.0, bc="neumann", axis=0, backend="numpy")
    assert g.dtype == np.float32
    f32 = {s for s in _sigs(_compiled._apply) if "float32" in s[0]}
    assert len(f32) == 1  # float32 gets its own specialisation, once


def test_policy_of_the_stencil_kernels():
    from fieldconv import _jit
    from fieldconv.stencil import _compiled

    for fn in (_compiled._apply, _compiled._star3d_r1, _compiled._map):
        assert fn.targetoptions["nogil"] and fn.targetoptions["error_model"] == "numpy"
        assert fn.targetoptions.get("inline", "never") == "never"  # LLVM inlines _map; numba-level inlining cost 5x compile
    assert _compiled._apply.targetoptions["parallel"] and not _compiled._map.targetoptions.get("parallel")
    assert _jit.POLICY["fastmath"] is False
