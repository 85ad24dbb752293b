"""What every spectrum reader checks: the file's name in each error, text decoding, CRC-32 trailers.

Text formats that fieldconv writes (JCAMP-DX, CSV) end with a CRC-32 of
every byte before the checksum line, so a flipped byte, a truncation or an
edited header is an error, never different data; the readers also check
what the format itself declares (counts, end markers, first/last abscissae)
for files written elsewhere.  Errors are :class:`fieldconv.errors.FileFormatError`
(a ``ValueError``) naming the file.
"""

import os
import zlib

from ..errors import FileFormatError

__all__ = ["FileFormatError", "fail", "read_text", "crc32_hex", "check_crc"]


def fail(path, what):
    """A :class:`FileFormatError` naming `path` and `what` is wrong (to raise)."""
    return FileFormatError(repr(os.fspath(path)), None, what)


def read_bytes(path):
    """The bytes of `path` (OSError subclasses such as FileNotFoundError keep naming the file)."""
    with open(path, "rb") as fh:
        return fh.read()


def read_text(path, data=None, *, fallback_latin1=False):
    """``(text, data)``: the file decoded as UTF-8 (or Latin-1 where `fallback_latin1` and UTF-8 fails).

    A byte that is not UTF-8 raises :class:`FileFormatError` with its offset.
    """
    if data is None:
        data = read_bytes(path)
    try:
        return data.decode("utf-8"), data
    except UnicodeDecodeError as exc:
        if fallback_latin1:
            return data.decode("latin-1"), data
        raise fail(path, f"byte {exc.start} ({data[exc.start:exc.start + 1]!r}) is not UTF-8 text: "
                         "the file is corrupt or not a text file") from None


def crc32_hex(data):
    """CRC-32 (zlib's) of `data` as 8 lower-case hex digits."""
    return format(zlib.crc32(data) & 0xFFFFFFFF, "08x")


def check_crc(path, data, stated):
    """Raise unless `stated` (the file's text) is the CRC-32 of `data`."""
    want = crc32_hex(data)
    if stated.strip() != want:  # written lower-case: a changed case is a changed byte
        raise fail(path, f"checksum mismatch (CRC-32 stated {stated.strip()!r}, computed {want!r}): the file was "
                         "changed or damaged after it was written")
