"""Fuzz of fieldconv.pm: particle-mesh accelerations against exact identities, and bad input.

The momentum recipe (paint, forces with a real-space difference of the
potential, same-scheme readout) is antisymmetric in the pair interaction, so
for any particle set on a periodic mesh the total force vanishes to
round-off, the accelerations are linear in the masses, and a shift of every
particle by whole cells changes nothing but round-off.  Those identities
hold for every input, which makes them a reference without a second
implementation.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fieldconv import pm

from ._contract import covers, expect_error, hsettings, outcome, repro_call
from ._strategies import mostly

SCHEMES = ("ngp", "cic", "tsc", "pcs")


def _case(data, d):
    shape = tuple(data.draw(st.lists(st.integers(4, 9), min_size=d, max_size=d)))
    box = data.draw(st.floats(0.5, 8.0))
    n = data.draw(st.integers(1, 40))
    seed = data.draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    x = rng.random((n, d)) * box
    edge = data.draw(st.sampled_from(["inside", "edges", "outside"]))
    if edge == "edges":  # on cell faces, at 0 and exactly at L (which wraps to 0)
        h = box / np.asarray(shape)
        x = np.floor(x / h) * h
        x[0] = box
    elif edge == "outside":  # periodic images a few boxes away
        x = x + box * rng.integers(-3, 4, size=(n, d))
    m = rng.random(n) + 0.1
    return shape, box, x, m


@covers("pm.accelerations", "pm.ParticleMesh")
@hsettings(30)
@given(data=st.data(), d=st.integers(1, 3), scheme=st.sampled_from(SCHEMES), single=st.booleans())
def test_momentum_linearity_and_object_equal_function(data, d, scheme, single):
    shape, box, x, m = _case(data, d)
    dt = np.float32 if single else np.float64
    x, m = x.astype(dt), m.astype(dt)
    repro = repro_call("fieldconv.pm.accelerations", x, masses=m, box_size=box, shape=shape, scheme=scheme)
    out = outcome(pm.accelerations, x, masses=m, box_size=box, shape=shape, scheme=scheme)
    assert out.ok, f"{repro}: {out!r}"
    a = np.asarray(out.value)
    assert a.shape == x.shape and a.dtype == dt, repro
    assert np.all(np.isfinite(a)), repro
    eps = float(np.finfo(dt).eps)
    # force scale: the whole mass one cell away, G M / h^2 (G = 1), times the total mass (bounds every |m a|,
    # and the round-off of the mesh force is relative to it, not to |m a| of a nearly force-free set)
    scale = float(m.sum()) ** 2 * (max(shape) / box) ** 2 + float(np.abs(m[:, None] * a).sum())
    # total force: a sum of antisymmetric pair terms, each rounded in the FFT (log2 M stages) and the sums:
    # |sum m a| <= 8 eps log2(M) scale, M the mesh size (a generous constant for the few stages)
    bound = 8 * eps * max(np.log2(np.prod(shape)), 1.0) * scale
    assert np.abs((m[:, None] * a).sum(axis=0)).max() <= bound, repro
    # linear in the masses: a(2 m) = 2 a(m) exactly up to the rounding of one multiply per stage
    a2 = np.asarray(pm.accelerations(x, masses=2 * m, box_size=box, shape=shape, scheme=scheme))
    np.testing.assert_allclose(a2, 2 * a, rtol=0, atol=16 * eps * scale / float(m.min()),
                               err_msg=repro)
    # the reusable object gives the function's answer bit for bit (one code path)
    obj = pm.ParticleMesh(shape, box, scheme=scheme, dtype=dt)
    assert np.array_equal(np.asarray(obj.accelerations(x, masses=m)), a), repro


@covers("pm.accelerations")
@hsettings(20)
@given(d=st.integers(1, 3), scheme=st.sampled_from(SCHEMES), where=st.floats(0.0, 1.0), n=st.integers(4, 8))
def test_no_self_force(d, scheme, where, n):
    # a lone particle anywhere feels no force from its own mesh image (momentum recipe, periodic)
    box = 1.0
    x = np.full((1, d), where)
    a = pm.accelerations(x, masses=np.ones(1), box_size=box, shape=(n,) * d, scheme=scheme)
    # the mesh force of a unit mass is O(n^2 / box^2) at most (one cell); round-off of the FFT on top
    assert np.abs(a).max() <= 64 * np.finfo(float).eps * n**2, (x, scheme, a)


@covers("pm.accelerations")
@hsettings(40)
@given(
    positions=mostly(st.just("ok"), st.sampled_from(["nan", "inf", "2d-wrong", "complex", "str"])),
    masses=mostly(st.just("ok"), st.sampled_from(["shape", "nan", "complex"])),
    scheme=mostly(st.sampled_from(SCHEMES), st.sampled_from(["foo", 3, None])),
    shape=mostly(st.just("ok"), st.sampled_from(["axes", "zero", "float"])),
    box=mostly(st.just(1.0), st.sampled_from([0.0, -1.0, float("nan"), "x"])),
)
def test_bad_input_names_its_parameter(positions, masses, scheme, shape, box):
    rng = np.random.default_rng(0)
    x = rng.random((6, 3))
    xs = {"ok": x, "nan": np.where(np.arange(18).reshape(6, 3) == 4, np.nan, x),
          "inf": np.where(np.arange(18).reshape(6, 3) == 4, np.inf, x), "2d-wrong": x[:, :2, None],
          "complex": x + 1j, "str": x.astype(str)}[positions]
    ms = {"ok": np.ones(6), "shape": np.ones(5), "nan": np.array([1, 1, np.nan, 1, 1, 1.0]),
          "complex": np.ones(6) + 1j}[masses]
    sh = {"ok": (8, 8, 8), "axes": (8, 8), "zero": (8, 0, 8), "float": (8, 8.5, 8)}[shape]
    wrong = [p for p, bad in (("positions", positions != "ok"), ("masses", masses != "ok"),
                              ("scheme", scheme not in SCHEMES), ("shape", shape != "ok"),
                              ("box_size", box != 1.0)) if bad]
    repro = repro_call("fieldconv.pm.accelerations", xs, masses=ms, box_size=box, shape=sh, scheme=scheme)
    out = outcome(pm.accelerations, xs, masses=ms, box_size=box, shape=sh, scheme=scheme)
    if not wrong:
        assert out.ok, f"{repro}: {out!r}"
        return
    expect_error(out, wrong, repro)


@covers("pm.ParticleMesh")
@pytest.mark.parametrize("kw, name", [
    ({"shape": (8, 8), "box_size": -1.0}, "box_size"),
    ({"shape": (8, 0), "box_size": 1.0}, "shape"),
    ({"shape": (8, 8), "box_size": 1.0, "scheme": "nope"}, "scheme"),
    ({"shape": (8, 8), "box_size": 1.0, "dtype": np.int32}, "dtype"),
    ({"shape": (8, 8), "box_size": 1.0, "recipe": "nope"}, "recipe"),
])
def test_particle_mesh_bad_construction(kw, name):
    with pytest.raises((ValueError, TypeError), match=name):
        pm.ParticleMesh(**kw)
