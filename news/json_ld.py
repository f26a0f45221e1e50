"""Reading the JSON-LD blocks of an HTML page."""

from __future__ import annotations

import json
from collections.abc import Iterator

from lxml.html import HtmlElement  # type: ignore[import-untyped]

MAX_BLOCK_CHARS = 500_000


def json_ld_blocks(document: HtmlElement, *, max_chars: int = MAX_BLOCK_CHARS) -> Iterator[object]:
    """Each parsed `<script type="application/ld+json">` block of the page.

    Oversized and broken blocks are skipped: broken JSON-LD is common and harmless.
    """
    for script in document.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        source = script.text or ""
        if len(source) > max_chars:
            continue
        try:
            yield json.loads(source)
        except (ValueError, RecursionError):
            continue
