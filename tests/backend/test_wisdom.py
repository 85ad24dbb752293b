"""Wisdom files: every corruption gives a ValueError naming the file (never other wisdom), OS errors name it too."""

import os
import re

import numpy as np
import pytest

pyfftw = pytest.importorskip("pyfftw")

from fieldconv.backend import get_backend, load_wisdom, save_wisdom  # noqa: E402
from fieldconv.backend import _wisdom  # noqa: E402


@pytest.fixture(scope="module")
def wisdom_file(tmp_path_factory):
    get_backend("pyfftw", threads=1, planner_effort="measure").rfftn(np.ones((6, 10)))
    path = tmp_path_factory.mktemp("w") / "good.fftw"
    save_wisdom(path)
    return path


def _v2(body):
    """A v2 file with a correct checksum around `body` (so the parser behind the checksum is tested)."""
    import hashlib

    return b"# fieldconv FFTW wisdom v2\nsha256 " + hashlib.sha256(body).hexdigest().encode() + b"\n" + body


def _named(path):
    return re.escape(repr(str(path)))


def test_round_trip_and_v1_files_are_refused(wisdom_file, tmp_path):
    load_wisdom(wisdom_file)
    data = wisdom_file.read_bytes()
    body = data.split(b"\n", 2)[2]  # drop the v2 header and checksum lines
    v1 = tmp_path / "v1.fftw"
    v1.write_bytes(b"# fieldconv FFTW wisdom v1\n" + body)
    with pytest.raises(ValueError, match=r"v1.fftw.* has no checksum .*save it again"):
        load_wisdom(v1)


def test_damaged_entry_is_caught_before_fftw_parses_it(wisdom_file, tmp_path):
    # fuzz finding F38: a same-length edit inside an entry's flags made FFTW's parser abort the process
    # (planner.c: assertion failed: flags.l == l); the checksum stops it before FFTW sees the text
    data = bytearray(wisdom_file.read_bytes())
    at = data.index(b" #x", data.index(b"(fftw_"))
    data[at] = ord("S")
    bad = tmp_path / "damaged.fftw"
    bad.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=r"damaged\.fftw.* checksum mismatch"):
        load_wisdom(bad)


def test_every_truncation_is_an_error_naming_the_file(wisdom_file, tmp_path):
    data = wisdom_file.read_bytes()
    bad = tmp_path / "cut.fftw"
    for n in range(len(data)):
        bad.write_bytes(data[:n])
        with pytest.raises(ValueError, match=_named(bad)):
            load_wisdom(bad)


def test_every_byte_flip_is_an_error_naming_the_file(wisdom_file, tmp_path):
    data = wisdom_file.read_bytes()
    bad = tmp_path / "flip.fftw"
    for i in range(len(data)):
        flipped = bytearray(data)
        flipped[i] ^= 0x01
        bad.write_bytes(bytes(flipped))
        with pytest.raises(ValueError, match=_named(bad)):
            load_wisdom(bad)


@pytest.mark.parametrize(
    "content, what",
    [
        (_v2(b"[double] abc\n"), "expected the double section header"),  # was int()'s ValueError, no file name
        (_v2(b"[double]"), "expected the double section header"),  # was IndexError
        (_v2(b"[single] 0\n\n"), "expected the double section header"),
        (_v2(b"[double] 99\nxx\n"), "truncated in section double"),
        (_v2(b"[double] 0\n\n[single] 0\n\n[longdouble] 0\n\nextra"), "bytes after the last"),
        (b"# fieldconv FFTW wisdom v2\n[double] 0\n", "no checksum line"),
        (b"", "must be a wisdom file"),
        (b"\xff\xfe binary", "must be a wisdom file"),
    ],
    ids=["bad-size", "no-newline", "missing-section", "short-blob", "trailing", "no-checksum", "empty", "binary"],
)
def test_corrupt_files_raise_value_error_naming_the_file(tmp_path, content, what):
    path = tmp_path / "bad.fftw"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=re.escape(what)) as err:
        load_wisdom(path)
    assert str(path) in str(err.value)


def test_fftw_rejection_names_the_file(tmp_path):
    blob = b"(fftw-3.3.10 fftw_wisdom #xdeadbeef garbage"
    path = tmp_path / "rejected.fftw"
    sections = [blob, b"", b""]
    path.write_bytes(_wisdom._encode(sections))
    with pytest.raises(ValueError, match=r"FFTW rejected the double wisdom in .*rejected\.fftw"):
        load_wisdom(path)


def test_os_errors_name_the_file(tmp_path):
    missing = tmp_path / "missing.fftw"
    with pytest.raises(FileNotFoundError, match=r"cannot read wisdom file .*missing\.fftw"):
        load_wisdom(missing)
    with pytest.raises(IsADirectoryError, match=r"cannot read wisdom file .*" + re.escape(tmp_path.name)):
        load_wisdom(tmp_path)
    blocker = tmp_path / "blocker"
    blocker.write_text("x")
    with pytest.raises(OSError, match=r"cannot write wisdom file .*blocker.*out\.fftw"):
        save_wisdom(blocker / "out.fftw")


@pytest.mark.parametrize("bad", [3, None, 2.5], ids=["int", "none", "float"])
def test_non_paths_are_type_errors(bad):
    with pytest.raises(TypeError, match="path must be a str or os.PathLike"):
        load_wisdom(bad)
    with pytest.raises(TypeError, match="path must be a str or os.PathLike"):
        save_wisdom(bad)


def test_machine_key_and_cache_path(monkeypatch, tmp_path):
    key = _wisdom.machine_key()
    assert re.fullmatch(r"[0-9a-f]{16}", key) and key == _wisdom.machine_key()
    monkeypatch.setenv("FIELDCONV_CACHE_DIR", str(tmp_path))
    assert _wisdom.user_cache_path() == os.path.join(str(tmp_path), f"fftw-wisdom-{key}")
    monkeypatch.delenv("FIELDCONV_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert _wisdom.user_cache_path().startswith(str(tmp_path / "xdg" / "fieldconv"))
    for off in ("0", "false", "OFF", "no"):
        monkeypatch.setenv("FIELDCONV_FFTW_WISDOM_CACHE", off)
        assert not _wisdom.user_cache_enabled()
    monkeypatch.setenv("FIELDCONV_FFTW_WISDOM_CACHE", "1")
    assert _wisdom.user_cache_enabled()


def test_env_wisdom_file_errors_name_the_file(tmp_path, monkeypatch):
    from fieldconv.backend import _fftw_plans

    bad = tmp_path / "env.fftw"
    bad.write_bytes(b"junk")
    monkeypatch.setenv("FIELDCONV_FFTW_WISDOM", str(bad))
    monkeypatch.setattr(_fftw_plans, "_wisdom_env_loaded", [False])
    with pytest.raises(ValueError, match="env.fftw"):
        with _fftw_plans._planner_lock:
            _fftw_plans.ensure_wisdom_loaded()

