"""Property tests (hypothesis, deterministic in CI): any array written comes back the same,
and any edit of a snapshot header gives a documented error or the particles as written."""

import astropy.units as u
import h5py
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from fieldconv.io import FileFormatError, Snapshot, read_mesh, write_mesh, write_snapshot

DTYPES = ["<f2", "<f4", ">f4", "<f8", ">f8", "<c8", "<c16", "|i1", "<i4", ">i8", "<u2", "|b1"]
UNITS = ["", "m", "kpc", "solMass / kpc3", "km2 / s2", "%", "3.085678e+21 cm", "1 / cm"]


@st.composite
def arrays(draw):
    dtype = np.dtype(draw(st.sampled_from(DTYPES)))
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=5))
    elements = None
    if dtype.kind == "f":
        elements = st.floats(width=8 * dtype.itemsize, allow_nan=True, allow_infinity=True)
    return draw(hnp.arrays(dtype, shape, elements=elements))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.lists(arrays(), min_size=1, max_size=3), units=st.lists(st.sampled_from(UNITS), min_size=3, max_size=3),
       compression=st.sampled_from(["gzip", None]))
def test_any_array_round_trips(tmp_path, data, units, compression):
    fields = {f"f{i}": a for i, a in enumerate(data)}
    p = write_mesh(tmp_path / "m.h5", fields, units={k: units[i] for i, k in enumerate(fields)}, compression=compression)
    m = read_mesh(p, quantity=False)
    for i, (k, a) in enumerate(fields.items()):
        got = m[k]
        want = a.reshape(1) if a.ndim == 0 else a
        assert got.dtype == want.dtype.newbyteorder("=") and got.dtype.isnative and got.shape == want.shape
        assert np.array_equal(got, want, equal_nan=want.dtype.kind in "fc")
        assert u.Unit(m.units[k]) == u.Unit(units[i])


HEADER = ["NumPart_ThisFile", "NumPart_Total", "NumPart_Total_HighWord", "MassTable", "BoxSize",
          "NumFilesPerSnapshot"]
VALUES = st.one_of(
    st.integers(-(2**40), 2**40), st.floats(allow_nan=True, allow_infinity=True),
    st.lists(st.integers(-5, 2**33), min_size=0, max_size=8).map(np.array),
    st.lists(st.floats(-1e3, 1e3), min_size=1, max_size=8).map(np.array),
    st.text(max_size=5),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=st.lists(st.tuples(st.sampled_from(HEADER), VALUES), min_size=1, max_size=3))
def test_edited_header_is_an_error_or_harmless(tmp_path, edits):
    pos = (np.random.default_rng(0).random((64, 3)) * 4.0).astype(np.float32)
    path = tmp_path / "s.hdf5"
    write_snapshot(path, {1: {"positions": pos, "masses": np.full(64, 2.0)}}, box_size=4.0)
    with h5py.File(path, "r+") as f:
        for name, value in edits:
            try:
                f["Header"].attrs[name] = value
            except (TypeError, ValueError):
                pass  # h5py cannot store it: not a case
    try:
        snap = Snapshot(path)
        got = snap.read("Coordinates")
        masses = snap.read("Masses")
    except FileFormatError as exc:
        assert str(exc).startswith(f"{path}: /")  # the file and the object named
        return
    # accepted: exactly the particles written, whatever else the header now says
    assert snap.counts == {"PartType1": 64}
    np.testing.assert_array_equal(got, pos)
    np.testing.assert_array_equal(masses, np.full(64, 2.0))
