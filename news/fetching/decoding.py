"""Streaming decoders that never inflate more than one piece at a time."""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator

import brotli  # type: ignore[import-untyped]

# Decoders hand out at most this much at a time, so a compression bomb is
# counted against the body cap as it inflates, never buffered whole.
_PIECE = 64 * 1024

# ------------------------------------------------------------------ body decoding


def _inflate(chunks: Iterable[bytes], *, raw_fallback: bool) -> Iterator[bytes]:
    inflater = zlib.decompressobj(zlib.MAX_WBITS | 32)  # gzip or zlib, by header
    produced = False
    for chunk in chunks:
        data = chunk
        while data:
            try:
                piece = inflater.decompress(data, _PIECE)
            except zlib.error:
                if produced or not raw_fallback:
                    raise
                # Some servers send a bare deflate stream as "deflate".
                inflater, raw_fallback = zlib.decompressobj(-zlib.MAX_WBITS), False
                continue
            data = inflater.unconsumed_tail
            if piece:
                produced = True
                yield piece
    if tail := inflater.flush():
        yield tail


def _unbrotli(chunks: Iterable[bytes]) -> Iterator[bytes]:
    decompressor = brotli.Decompressor()
    for chunk in chunks:
        piece: bytes = decompressor.process(chunk, output_buffer_limit=_PIECE)
        while piece:
            yield piece
            if decompressor.can_accept_more_data():
                break
            piece = decompressor.process(b"", output_buffer_limit=_PIECE)


def decoded_stream(chunks: Iterable[bytes], content_encoding: str) -> Iterator[bytes]:
    # Codings are listed in the order applied, so they are undone in reverse.
    # Unknown ones (often a charset put there by mistake) pass through, as in httpx.
    stream: Iterable[bytes] = chunks
    for coding in reversed([c.strip().lower() for c in content_encoding.split(",")]):
        if coding in ("gzip", "x-gzip"):
            stream = _inflate(stream, raw_fallback=False)
        elif coding == "deflate":
            stream = _inflate(stream, raw_fallback=True)
        elif coding == "br":
            stream = _unbrotli(stream)
    yield from stream
