"""Regression tests of the mass-assignment defects found by fuzzing (each failed before its fix).

* non-periodic painting ignored the ``far`` flag of axes 1 and 2: stale or
  uninitialised indices (a segfault, or mass counted twice);
* ``(cells, offsets)`` positions wrapped silently in int64;
* Quantity positions with a plain ``box_size`` (lengths must be lengths, and
  the lengths of a call agree in unit or are plain);
* ``readout(..., periodic="no")`` was taken as periodic; a readout of a mesh
  with an empty axis raised ZeroDivisionError;
* ``paint_interlaced``/``compensate`` on lists; ``compensate`` of real,
  integer and object meshes.
"""

import math
import subprocess
import sys
import textwrap
from fractions import Fraction

import astropy.units as u
import numpy as np
import pytest

from fieldconv._windows import SCHEMES, bspline_weights
from fieldconv.assign import bucket, compensate, paint, paint_chunks, paint_interlaced, readout, readout_gradient

SCHEME_IDS = list(SCHEMES)
EPS = np.finfo(np.float64).eps


# ------------------------------------------------------------- the far flag
def test_issue_reproducers_in_a_subprocess():
    # the two reproducers of the issue, in a child process: a crash shows as a failure here
    code = textwrap.dedent(
        """
        import numpy as np, fieldconv as fc
        r = fc.paint(np.array([[1.5, -1e3]]), box_size=4.0, shape=(4, 4), scheme="cic", periodic=False,
                     outside="drop")
        print(float(r.mesh.sum()), r.dropped_mass)
        r = fc.paint(np.array([[1.5, 1.5], [1.5, 100.0]]), box_size=4.0, shape=(4, 4), periodic=False,
                     outside="drop")
        print(float(r.mesh.sum()), r.dropped_mass)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["0.0", "1.0", "1.0", "1.0"]


@pytest.mark.parametrize("far", [-1e3, 1e3, -1e300, 1e300, -7.5, 12.25], ids=lambda v: f"x={v:g}")
@pytest.mark.parametrize("ndim", [1, 2, 3])
@pytest.mark.parametrize("scheme", SCHEME_IDS)
def test_far_particle_along_every_axis_drops_exactly_its_mass(scheme, ndim, far):
    # A particle inside, then one far outside along axis a: the mesh is the inside particle's
    # alone (bit for bit) and the dropped mass is the far particle's, for every axis and order
    shape = (6, 5, 7)[:ndim]
    inside = np.array([[2.5, 2.25, 3.0][:ndim]])
    alone = paint(inside, box_size=shape, shape=shape, scheme=scheme, periodic=False)
    for a in range(ndim):
        far_p = inside.copy()
        far_p[0, a] = far
        for pos, w in ((np.vstack([inside, far_p]), [1.0, 2.0]), (np.vstack([far_p, inside]), [2.0, 1.0])):
            r = paint(pos, box_size=shape, shape=shape, scheme=scheme, weights=np.array(w), periodic=False,
                      outside="drop")
            np.testing.assert_array_equal(r.mesh, alone)
            assert r.dropped_mass == 2.0 and r.dropped_count == 1
            vals = readout(alone, pos, box_size=shape, scheme=scheme, periodic=False, outside="drop")
            assert vals[w.index(2.0)] == 0.0  # the far particle reads nothing
            if scheme != "ngp":
                g = readout_gradient(alone, pos, box_size=shape, scheme=scheme, periodic=False, outside="drop")
                assert np.all(g[w.index(2.0)] == 0.0)


# --------------------------------------------------------- cells, offsets
def _exact_paint_1d(cell, off, n, p):
    """Exact mesh of one particle at cell + off (Python integers and fractions), periodic."""
    shift = Fraction(1, 2) if p % 2 == 0 else Fraction(0)
    t = Fraction(int(cell)) + Fraction(float(off)) - shift
    c = math.floor(t)
    f = float(t - c)
    w = bspline_weights(np, p, np.array([f]))
    mesh = np.zeros(n)
    half = (p - 1) // 2
    for k in range(p):
        mesh[(c - half + k) % n] += w[k][0]
    return mesh


BIG_CELLS = [2**63 - 2, -(2**63), 2**63 - 1, -(2**62) - 3, 0, 5, -5]
BIG_OFFSETS = [3.7, -3.7, 1e19, -1e19, 1e300, -1e300, 2.0**63, -(2.0**63), 0.5, 0.999999999, 1e-30, 4.5e15 + 0.5]


@pytest.mark.parametrize("scheme", SCHEME_IDS)
@pytest.mark.parametrize("n", [4, 5, 7])
def test_cells_offsets_exact_for_huge_values(scheme, n):
    # every (cell, offset) pair: the exact cell of cell + offset modulo n, the weights to rounding
    # (the fraction f is a double: <= 2 eps64 in each weight, which are <= 1)
    p = SCHEMES[scheme]
    cells = np.array([[c] for c in BIG_CELLS for _ in BIG_OFFSETS], dtype=np.int64)
    offs = np.array([[o] for _ in BIG_CELLS for o in BIG_OFFSETS])
    for c, o in zip(cells, offs):
        got = paint((c[None], o[None]), box_size=float(n), shape=n, scheme=scheme)
        np.testing.assert_allclose(got, _exact_paint_1d(c[0], o[0], n, p), rtol=0, atol=4 * EPS,
                                   err_msg=f"cell {c[0]}, offset {o[0]!r}")


def test_cells_offsets_issue_cases():
    # cells 2**63 - 2 with offset 3.7 (u = 2**63 + 1.7); uint64 cells 2**63 + 5; offsets +-1e19, 1e300.
    # Meshes of 5 and 6 cells: an int64 wrap (mod 2**64) keeps residues modulo powers of two only
    for n in (5, 6):
        want = (2**63 + 1) % n  # CIC at u = 2**63 + 1.7: cells floor(u - 1/2) and the next, weights 0.8, 0.2
        got = paint((np.array([[2**63 - 2]]), np.array([[3.7]])), box_size=float(n), shape=n, scheme="cic")
        np.testing.assert_allclose(got, 0.8 * np.eye(n)[want] + 0.2 * np.eye(n)[(want + 1) % n], atol=1e-15)
        got = paint((np.array([[2**63 + 5]], dtype=np.uint64), np.array([[0.5]])), box_size=float(n), shape=n,
                    scheme="ngp")
        np.testing.assert_array_equal(got, np.eye(n)[(2**63 + 5) % n])
        for off, cell in ((1e19, 0), (-1e19, 0), (1e300, 3), (-1e300, 3), (2.5e19, -7)):
            got = paint((np.array([[cell]]), np.array([[off]])), box_size=float(n), shape=n, scheme="ngp")
            np.testing.assert_array_equal(got, np.eye(n)[(int(off) + cell) % n], err_msg=repr(off))  # int(): exact


def test_cells_offsets_nonperiodic_exact_or_far():
    # non-periodic: cell + offset is formed exactly (no int64 wrap): inside when it is inside
    shape = 4
    cases = [
        (-(2**63) + 2, 2.0**63, 2),  # -2**63 + 2 + 2**63 = 2: inside, cell 2
        (2**62 + 1, -(2.0**62), 1),  # = 1 (every double beyond 2**53 is an integer: put the fraction in the cell)
        (-(2**62) + 3, 2.0**62, 3),
        (2**63 - 1, -(2.0**63), None),  # = -1: outside (raises below), not wrapped
    ]
    for cell, off, want in cases:
        if want is None:
            with pytest.raises(ValueError, match="got 1 particles outside"):
                paint((np.array([[cell]]), np.array([[off]])), box_size=4.0, shape=shape, scheme="ngp", periodic=False)
            continue
        got = paint((np.array([[cell]]), np.array([[off]])), box_size=4.0, shape=shape, scheme="ngp",
                    periodic=False)
        np.testing.assert_array_equal(got, np.eye(shape)[want], err_msg=f"{cell} + {off!r}")
    # far: dropped, never wrapped into the mesh
    for cell, off in ((2**63 - 2, 3.7), (-(2**63), -5.0), (0, 1e19), (0, -1e300), (2**63 - 1, 1e300)):
        r = paint((np.array([[cell]]), np.array([[off]])), box_size=4.0, shape=shape, scheme="cic", periodic=False,
                  outside="drop")
        assert r.mesh.sum() == 0.0 and r.dropped_mass == 1.0 and r.dropped_count == 1, (cell, off)
    with pytest.raises(ValueError, match=r"cells must be at most 2\*\*63 - 1 on a non-periodic mesh"):
        paint((np.array([[2**63 + 5]], dtype=np.uint64), np.array([[0.5]])), box_size=4.0, shape=4, periodic=False)


@pytest.mark.parametrize("dtype", [np.int8, np.int32, np.uint16, np.uint32, np.uint64])
def test_cells_of_every_integer_dtype(dtype):
    cells = np.array([[3], [1], [2]], dtype=dtype)
    off = np.array([[0.25], [0.5], [0.75]])
    ref = paint((cells.astype(np.int64), off), box_size=4.0, shape=4, scheme="tsc")
    np.testing.assert_array_equal(paint((cells, off), box_size=4.0, shape=4, scheme="tsc"), ref)
    np.testing.assert_array_equal(readout(np.arange(4.0), (cells, off), box_size=4.0, scheme="tsc"),
                                  readout(np.arange(4.0), (cells.astype(np.int64), off), box_size=4.0, scheme="tsc"))


# ------------------------------------------------------------------- units
POS = np.array([[0.3, 1.7], [1.1, 0.2], [1.9, 1.95]])


def test_plain_box_is_read_in_the_unit_of_the_positions():
    ref = paint(POS, box_size=2.0, shape=(4, 4))
    np.testing.assert_array_equal(paint(POS * u.kpc, box_size=2.0, shape=(4, 4)), ref)
    np.testing.assert_array_equal(paint(POS, box_size=2.0 * u.kpc, shape=(4, 4)), ref)  # and the reverse
    # pc converted to kpc: the conversion rounds (a few ulps of the coordinates, weights <= 1)
    np.testing.assert_allclose(paint(POS * 1000 * u.pc, box_size=2.0 * u.kpc, shape=(4, 4)), ref, rtol=0, atol=8 * EPS)
    d = paint(POS * u.kpc, box_size=2.0, shape=(4, 4), density=True)
    assert d.unit == u.kpc**-2 and np.allclose(d.value, ref / 0.25)
    # the issue's case: 500 kpc in a box of 1 (kpc) is 500 mod 1 = 0, not 500 boxes of 1 Mpc
    one = paint(np.array([[500.0, 500.25]]) * u.kpc, box_size=1.0, shape=(4, 4), scheme="ngp")
    assert one[0, 1] == 1.0
    f = np.arange(16.0).reshape(4, 4)
    np.testing.assert_array_equal(readout(f, POS * u.kpc, box_size=2.0), readout(f, POS, box_size=2.0))
    g = readout_gradient(f * u.K, POS * u.kpc, box_size=2.0)
    assert g.unit == u.K / u.kpc
    sp = bucket(POS * u.kpc, box_size=2.0, shape=(4, 4))[0]
    assert sp.unit == u.kpc
    # origin is a length of the call too
    np.testing.assert_array_equal(paint(POS, box_size=2.0, shape=(4, 4), origin=0.5 * u.kpc),
                                  paint(POS, box_size=2.0, shape=(4, 4), origin=0.5))
    np.testing.assert_allclose(paint(POS * u.kpc, box_size=2.0, shape=(4, 4), origin=500 * u.pc),
                               paint(POS, box_size=2.0, shape=(4, 4), origin=0.5), rtol=0, atol=8 * EPS)


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda: paint(POS * u.s, box_size=2.0, shape=(4, 4)), "positions must be a length"),
        (lambda: paint(POS * u.s, box_size=2.0 * u.m, shape=(4, 4)), "positions must be a length"),
        (lambda: paint(POS, box_size=2.0 * u.kg, shape=(4, 4)), "box_size must be a length"),
        (lambda: paint(POS * u.m, box_size=2.0, shape=(4, 4), origin=1 * u.s), "origin must be a length"),
        (lambda: paint((np.zeros((3, 2), int), POS * u.m), box_size=2.0, shape=(4, 4)), "offsets .* in cells"),
        (lambda: readout(np.ones((4, 4)), POS * u.s, box_size=2.0), "positions must be a length"),
    ],
    ids=["time-plain-box", "time-metre-box", "mass-box", "time-origin", "offsets-quantity", "readout-time"],
)
def test_lengths_must_be_lengths(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# --------------------------------------------------------- readout checks
def test_readout_periodic_must_be_a_bool():
    f = np.ones((4, 4))
    for bad in ("no", "False", 0, None):
        with pytest.raises(TypeError, match="periodic must be a bool"):
            readout(f, POS, box_size=2.0, periodic=bad)
        with pytest.raises(TypeError, match="periodic must be a bool"):
            readout_gradient(f, POS, box_size=2.0, periodic=bad)
    np.testing.assert_array_equal(readout(f, POS, box_size=2.0, periodic=np.bool_(True)),
                                  readout(f, POS, box_size=2.0))


@pytest.mark.parametrize("shape", [(0, 8, 8), (8, 0, 8), (8, 8, 0), (0,)])
def test_readout_of_a_mesh_with_an_empty_axis(shape):
    pos = np.zeros((1, len(shape)))
    with pytest.raises(ValueError, match=r"field must have at least one cell along every axis; got shape"):
        readout(np.ones(shape), pos, box_size=4.0)
    with pytest.raises(ValueError, match=r"field must have at least one cell along every axis"):
        readout_gradient(np.ones(shape), pos, box_size=4.0)


# ------------------------------------------------------ lists, compensate
def test_paint_interlaced_and_compensate_take_lists():
    pos = [[0.1, 0.2], [0.7, 0.4]]
    ref = paint_interlaced(np.array(pos), box_size=1.0, shape=(4, 4))
    np.testing.assert_array_equal(paint_interlaced(pos, box_size=1.0, shape=(4, 4)), ref)
    np.testing.assert_array_equal(paint_interlaced(pos, box_size=1.0, shape=4), ref)
    mk = [[1 + 0j, 2 + 0j, 3 + 0j]] * 4
    np.testing.assert_array_equal(compensate(mk, "cic"), compensate(np.array(mk), "cic"))


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64, np.uint8, bool, object])
def test_compensate_needs_a_complex_field(dtype):
    with pytest.raises(TypeError, match=r"field_k must be a complex Fourier-space field .* got a .* array of dtype"):
        compensate(np.ones((4, 3), dtype=dtype), "cic")
    with pytest.raises(TypeError, match="field_k must be a complex"):
        compensate(np.ones((4, 3), dtype=dtype).tolist(), "tsc")
    c = compensate(np.ones((4, 3), dtype=np.complex64), "cic")
    assert c.dtype == np.complex64


# ------------------------------------------- fuzz findings (notes: F6, F8, F10, F11, F13, F14)
@pytest.mark.parametrize("x", [2.0**62, 2.0**63, 2.0**70, -(2.0**70), 1e300, 4.0 * 2**60 + 8.0])
@pytest.mark.parametrize("scheme", SCHEME_IDS)
def test_periodic_wrap_of_huge_positions_is_exact(x, scheme):
    # u = x / h is an integer double beyond 2**53: wrap it exactly (fmod) first, shift by half a cell after
    n = 4
    u_mod = int(x) % n  # the exact residue of the double's integer value
    want = np.zeros(n)
    p = SCHEMES[scheme]
    t = Fraction(u_mod) - (Fraction(1, 2) if p % 2 == 0 else 0)
    c = math.floor(t)
    w = bspline_weights(np, p, np.array([float(t - c)]))
    for k in range(p):
        want[(c - (p - 1) // 2 + k) % n] += w[k][0]
    got = paint(np.array([[x]]), box_size=4.0, shape=n, scheme=scheme)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-15)
    f = np.arange(4.0)
    np.testing.assert_allclose(readout(f, np.array([[x]]), box_size=4.0, scheme=scheme), [want @ f], atol=1e-14)


def test_tiny_box_or_huge_coordinates_raise():
    with pytest.raises(ValueError, match=r"box_size\[0\] / shape\[0\] = .* is too small"):
        paint(np.array([[0.5, 0.5]]), box_size=1e-320, shape=(4, 4))
    with pytest.raises(ValueError, match=r"box_size\[1\] / shape\[1\] = .* is too small"):
        readout(np.ones((4, 4)), np.array([[0.5, 0.5]]), box_size=(1.0, 1e-320))
    with pytest.raises(ValueError, match=r"positions must give finite grid coordinates"):
        paint(np.array([[1e300, 0.5]]), box_size=1e-10, shape=(4, 4))
    with pytest.raises(ValueError, match=r"positions must give finite grid coordinates"):
        readout(np.ones((4, 4)), np.array([[1e300, 0.5]]), box_size=1e-10, periodic=False)


@pytest.mark.parametrize("weights", [2.0, 3, np.float64(2.0)], ids=["float", "int", "np.float64"])
def test_paint_chunks_scalar_weights(weights):
    with pytest.raises(ValueError, match=r"weights must have shape \(N,\); got a scalar"):
        paint_chunks(np.array([[0.5, 1.5], [2.25, 3.0]]), box_size=4.0, shape=(4, 4), weights=weights)


@pytest.mark.parametrize("origin", ["no", None, b"x", [[0.0, 1.0]], [0.0, "a"]], ids=["str", "none", "bytes", "2d", "item"])
def test_origin_errors_name_origin(origin):
    pos = np.array([[0.5, 1.5]])
    for call in (lambda: paint(pos, box_size=4.0, shape=(4, 4), origin=origin),
                 lambda: paint_interlaced(pos, box_size=4.0, shape=(4, 4), origin=origin),
                 lambda: bucket(pos, box_size=4.0, shape=(4, 4), origin=origin),
                 lambda: paint_chunks(pos, box_size=4.0, shape=(4, 4), origin=origin)):
        with pytest.raises(TypeError, match="origin must be a number or a sequence of one number per axis"):
            call()


@pytest.mark.parametrize("dtype", [complex, "<U4", "datetime64[s]"])
def test_paint_chunks_names_the_source(dtype):
    with pytest.raises(TypeError, match="source must"):
        paint_chunks(np.ones((5, 2)).astype(dtype), box_size=4.0, shape=(4, 4))


def test_compensate_of_an_empty_field():
    with pytest.raises(ValueError, match=r"field_k must have at least one mode along every axis; got shape \(0, 3\)"):
        compensate(np.ones((0, 3), complex), "cic")
