"""Tests of fieldconv.io._provenance: canonical parameters, task keys, file checksums."""

import hashlib

import numpy as np
import pytest

from fieldconv.io._provenance import canonical, canonical_json, file_sha256, input_record, make_provenance, task_key


def test_file_sha256_matches_hashlib(tmp_path):
    data = np.random.default_rng(0).bytes(3 * (1 << 23) + 17)  # more than one read block
    (tmp_path / "f").write_bytes(data)
    assert file_sha256(tmp_path / "f") == hashlib.sha256(data).hexdigest()
    rec = input_record(tmp_path / "f")
    assert rec["size"] == len(data) and rec["path"] == str(tmp_path / "f")


def test_canonical_forms_hash_alike():
    a = {"shape": (64, 64, 64), "G": np.float64(1.0), "ptypes": np.array([1, 2]), "flag": np.bool_(True)}
    b = {"flag": True, "ptypes": [1, 2], "G": 1.0, "shape": [64, 64, 64]}
    assert canonical_json(a) == canonical_json(b)
    assert task_key("paint", a, ["x"]) == task_key("paint", b, ["x"])
    assert task_key("paint", a, ["x"]) != task_key("poisson", a, ["x"])
    assert task_key("paint", a, ["x"]) != task_key("paint", a, ["y"])


@pytest.mark.parametrize("bad, match", [({"x": float("nan")}, "finite"), ({"x": object()}, "JSON-like"),
                                        ({1: 2}, "keys must be strings")], ids=["nan", "object", "int key"])
def test_canonical_refuses_what_json_cannot_hold(bad, match):
    with pytest.raises(TypeError, match=match):
        canonical(bad)


def test_make_provenance_records_everything():
    p = make_provenance("paint", {"shape": 8}, [{"path": "/a", "size": 1, "sha256": "0" * 64}], key="k")
    assert p["step"] == "paint" and p["parameters"] == {"shape": 8} and p["key"] == "k"
    assert p["fieldconv_version"] and p["created"].endswith("+00:00") and p["libraries"]["hdf5"]
