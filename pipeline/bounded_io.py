"""Bounded reading of input files that may be compressed: a hostile file costs time, never memory.

Every decompression here produces at most the number of bytes its reader asks for (a gzip bomb
unpacks chunk by chunk, never whole), every line is capped in length (a single enormous line is
skipped and reported, not held), and a compressed stream that is truncated or corrupt ends the data
early with :attr:`DecompressingReader.cut` saying why, instead of raising in the middle of a read.

The compression is told by the file's first bytes, not its name.
"""

from __future__ import annotations

import bz2
import io
import lzma
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

import zstandard

# Longest line (in characters) a reader holds; longer lines are skipped and reported.
MAX_LINE_CHARS = 8 * 2**20
# Compressed bytes read at a time. zstd's decoder cannot cap its output per call, so it gets small
# inputs: 1 KiB of zstd unpacks to at most ~32 MiB.
_CHUNK = 64 * 1024
_ZSTD_CHUNK = 1024
# zstd dumps are written with --long=31; the decoder needs a window that large.
_ZSTD_WINDOW = 2**31

MAGIC = {
    "gzip": b"\x1f\x8b",
    "bzip2": b"BZh",
    "xz": b"\xfd7zXZ\x00",
    "zstd": b"\x28\xb5\x2f\xfd",
}
SUFFIXES = {".gz": "gzip", ".bz2": "bzip2", ".xz": "xz", ".zst": "zstd"}


def sniff_compression(head: bytes) -> str | None:
    """The compression whose magic number ``head`` starts with (``gzip``, ``bzip2``, ``xz``, ``zstd``)."""
    for name, magic in MAGIC.items():
        if head.startswith(magic):
            return name
    return None


def _decompressor(codec: str) -> Any:
    if codec == "gzip":
        return zlib.decompressobj(wbits=31)
    if codec == "bzip2":
        return bz2.BZ2Decompressor()
    if codec == "xz":
        return lzma.LZMADecompressor()
    return zstandard.ZstdDecompressor(max_window_size=_ZSTD_WINDOW).decompressobj()


class DecompressingReader(io.RawIOBase):
    """A raw stream of the decompressed bytes of ``source``, produced as they are asked for.

    Concatenated members (``cat a.gz b.gz``) are read one after the other. When the compressed data
    ends before its end marker, or is corrupt, reading stops there and :attr:`cut` says so.

    Attributes:
        cut: None, or why the data ended early (truncated or corrupt, with the byte offset).
        produced: Decompressed bytes handed out so far.
    """

    def __init__(self, source: IO[bytes], codec: str) -> None:
        super().__init__()
        self._source = source
        self.codec = codec
        self._chunk = _ZSTD_CHUNK if codec == "zstd" else _CHUNK
        self._dec = _decompressor(codec)
        self._pending = b""  # compressed input not yet given to the decompressor
        self._ready = b""  # zstd output not yet handed out, from offset _at
        self._at = 0
        self._consumed = 0
        self._done = False
        self.cut: str | None = None
        self.produced = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        while not self._done:
            try:
                data = self._next(len(view))
            except (zlib.error, OSError, EOFError, lzma.LZMAError, zstandard.ZstdError) as exc:
                self._stop(f"the {self.codec} data is corrupt near byte {self._consumed:,} ({exc})")
                break
            if data:
                view[: len(data)] = data
                self.produced += len(data)
                return len(data)
        return 0

    def _stop(self, why: str | None) -> None:
        self._done = True
        self.cut = why

    def _next(self, size: int) -> bytes:
        """Up to ``size`` decompressed bytes; b"" when more input is needed or the data ended."""
        if self._at < len(self._ready):
            return self._take(size)
        if self._at_member_end():
            rest = self._dec.unused_data + self._pending
            if not rest.strip(b"\x00"):  # trailing zero padding is allowed after a gzip member
                rest = self._source.read(self._chunk)
                if not rest.strip(b"\x00"):
                    self._stop(None)
                    return b""
            self._dec, self._pending = _decompressor(self.codec), rest
        if not self._pending and self._needs_input():
            self._pending = self._source.read(self._chunk)
            self._consumed += len(self._pending)
            if not self._pending:
                self._stop(
                    f"the {self.codec} data ends before its end marker "
                    f"(the file is truncated after {self._consumed:,} bytes)"
                )
                return b""
        return self._decompress(size)

    def _at_member_end(self) -> bool:
        return bool(self._dec.eof)

    def _needs_input(self) -> bool:
        if self.codec == "gzip":
            return not self._dec.unconsumed_tail
        if self.codec == "zstd":
            return True
        return bool(self._dec.needs_input)

    def _decompress(self, size: int) -> bytes:
        data, self._pending = self._pending, b""
        if self.codec == "gzip":
            out: bytes = self._dec.decompress(data, size)
            self._pending = self._dec.unconsumed_tail
            return out
        if self.codec == "zstd":
            self._ready, self._at = self._dec.decompress(data), 0
            return self._take(size)
        return bytes(self._dec.decompress(data, size))

    def _take(self, size: int) -> bytes:
        """The next ``size`` bytes of the zstd output; an offset, so a 32 MiB output is not re-copied
        on every read (slicing the rest off each time made one huge line quadratic)."""
        out = self._ready[self._at : self._at + size]
        self._at += len(out)
        if self._at >= len(self._ready):
            self._ready, self._at = b"", 0
        return out


def open_stream(
    path: Any, *, expect: str | None = None
) -> tuple[IO[bytes], DecompressingReader | None]:
    """Open ``path`` for reading, decompressing it when its first bytes say it is compressed.

    Args:
        path: The file.
        expect: The compression the file's name promises (``gzip`` for ``.gz``), if any.

    Returns:
        A buffered byte stream and, for a compressed file, the reader whose ``cut`` tells whether
        the data ended early.

    Raises:
        ValueError: When the name promises a compression the content does not have.
    """
    raw = open(path, "rb")  # noqa: SIM115 - the caller closes the returned stream
    head = raw.read(8)
    raw.seek(0)
    codec = sniff_compression(head)
    if expect is not None and codec != expect:
        raw.close()
        found = f"{codec} data" if codec else "not compressed"
        raise ValueError(f"is named as {expect} but is {found}")
    if codec is None:
        return raw, None
    reader = DecompressingReader(raw, codec)
    return io.BufferedReader(reader, buffer_size=_CHUNK), reader


@dataclass(frozen=True)
class Line:
    """One physical line: its 1-based number, its text, and whether it ended with a line break.

    ``too_long`` lines carry no text: only their first :data:`MAX_LINE_CHARS` characters were read.
    """

    number: int
    text: str
    ended: bool
    too_long: bool = False


def bounded_lines(text: IO[str], max_chars: int = MAX_LINE_CHARS) -> Iterator[Line]:
    """The lines of a text stream, none held longer than ``max_chars`` characters.

    The stream should be opened with ``newline=""`` so that line breaks come back as they were.
    """
    number = 0
    while True:
        line = text.readline(max_chars)
        if not line:
            return
        number += 1
        if line.endswith(("\n", "\r")):
            yield Line(number, line, ended=True)
        elif len(line) < max_chars:
            yield Line(number, line, ended=False)  # the last line, without a line break
        else:
            ended = _skip_rest_of_line(text)
            yield Line(number, "", ended=ended, too_long=True)


def _skip_rest_of_line(text: IO[str]) -> bool:
    while True:
        rest = text.readline(_CHUNK)
        if not rest:
            return False
        if rest.endswith(("\n", "\r")):
            return True


def unpack(body: bytes, max_bytes: int) -> bytes:
    """``body`` decompressed when its first bytes say it is compressed, else ``body`` as it is.

    At most ``max_bytes + 1`` bytes are ever unpacked, so a small bomb costs no memory.

    Raises:
        ValueError: When the result would pass ``max_bytes``, or the compressed data is broken or
            truncated (the message says which).
    """
    codec = sniff_compression(body[:8])
    if codec is None:
        data = body
    else:
        reader = DecompressingReader(io.BytesIO(body), codec)
        data = io.BufferedReader(reader, buffer_size=_CHUNK).read(max_bytes + 1)
        if reader.cut and len(data) <= max_bytes:
            raise ValueError(reader.cut)
    if len(data) > max_bytes:
        raise ValueError(f"over {max_bytes:,} bytes{' unpacked' if codec else ''}")
    return data
