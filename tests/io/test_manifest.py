"""Tests of fieldconv.io._manifest: records, verification by content, damage detection,
and no lost record when several processes finish at the same moment."""

import json
import multiprocessing
import os

import pytest

from fieldconv.io import FileFormatError, Manifest


def _record(path, out, key="k"):
    Manifest(path).record(out, key=key, step="paint", parameters={"shape": 8},
                          inputs=[{"path": "/in", "size": 1, "mtime_ns": 2, "sha256": "a" * 64}])


def test_record_lookup_and_content_check(tmp_path):
    out = tmp_path / "o.h5"
    out.write_bytes(b"result")
    m = Manifest(tmp_path / "manifest.json")
    assert m.load() == {} and m.lookup(out) is None and not m.is_current(out, "k")
    _record(m.path, out)
    rec = m.lookup(out)
    assert rec["key"] == "k" and rec["output_size"] == 6 and rec["parameters"] == {"shape": 8}
    assert m.is_current(out, "k") and not m.is_current(out, "other")
    assert m.known_inputs() == {"/in": (1, 2, "a" * 64)}
    out.write_bytes(b"resulT")  # same size, other content: not current
    assert not m.is_current(out, "k")
    os.remove(out)
    assert not m.is_current(out, "k")
    m.forget(out)
    assert m.lookup(out) is None


def test_damaged_manifest_is_an_error(tmp_path):
    out = tmp_path / "o.h5"
    out.write_bytes(b"x")
    path = tmp_path / "manifest.json"
    _record(path, out)
    doc = json.loads(path.read_text())
    doc["entries"]["o.h5"]["key"] = "edited"
    path.write_text(json.dumps(doc))
    with pytest.raises(FileFormatError, match="do not match the manifest's checksum"):
        Manifest(path).load()
    path.write_text('{"format": "fieldconv.manifest/1", "entr')
    with pytest.raises(FileFormatError, match="not valid JSON"):
        Manifest(path).load()
    path.write_text("[]")
    with pytest.raises(FileFormatError, match="not a fieldconv batch manifest"):
        Manifest(path).load()


def _writer(args):
    path, folder, worker, n = args
    for i in range(n):
        out = os.path.join(folder, f"o{worker}_{i}.h5")
        with open(out, "wb") as fh:
            fh.write(f"{worker} {i}".encode())
        _record(path, out, key=f"{worker}-{i}")
    return n


def test_concurrent_writers_lose_nothing(tmp_path):
    path = str(tmp_path / "manifest.json")
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(4) as pool:
        assert sum(pool.map(_writer, [(path, str(tmp_path), w, 15) for w in range(4)])) == 60
    entries = Manifest(path).load()
    assert len(entries) == 60
    assert all(entries[f"o{w}_{i}.h5"]["key"] == f"{w}-{i}" for w in range(4) for i in range(15))
    assert not [n for n in os.listdir(tmp_path) if n.startswith(".fieldconv-tmp-")]
