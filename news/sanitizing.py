"""HTML sanitising with nh3: a strict allowlist, safe links only."""

from __future__ import annotations

import re

import nh3

from news.normalization import strip_unencodable

# ---------------------------------------------------------------- HTML sanitising

# ``div`` is not formatting, but feeds (Blogger, many newsletters) use bare divs as
# paragraphs; unwrapping them would glue neighbouring paragraphs into one word soup.
_ALLOWED_TAGS = frozenset(
    {
        "p",
        "br",
        "div",
        "a",
        "strong",
        "em",
        "b",
        "i",
        "ul",
        "ol",
        "li",
        "blockquote",
        "code",
        "pre",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "img",
        "figure",
        "figcaption",
        "table",
        "caption",
        "thead",
        "tbody",
        "tfoot",
        "tr",
        "th",
        "td",
    }
)
# Removed together with everything inside them: their content is code, widgets or fallback
# markup, never article text.
_DROPPED_WITH_CONTENT = frozenset(
    {
        "script",
        "style",
        "template",
        "noscript",
        "iframe",
        "frame",
        "frameset",
        "object",
        "embed",
        "applet",
        "form",
        "button",
        "select",
        "textarea",
        "svg",
        "math",
        "canvas",
        "audio",
        "video",
    }
)
_ALLOWED_ATTRIBUTES = {
    "a": frozenset({"href", "title"}),
    "img": frozenset({"src", "alt", "title", "width", "height"}),
    "td": frozenset({"colspan", "rowspan"}),
    "th": frozenset({"colspan", "rowspan"}),
    "ol": frozenset({"start"}),
}
_LINK_SCHEMES = frozenset({"http", "https", "mailto"})
_LINK_REL = "noopener noreferrer nofollow"
_H1_TAG = re.compile(r"<(/?)h1\b", re.IGNORECASE)
_HAS_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def sanitize_html(html_fragment: str, *, base_url: str | None = None) -> str:
    """Reduce untrusted HTML to a strict allowlist that is safe to render as is.

    Relative ``href``/``src`` values are resolved against ``base_url``; without one they
    are dropped, because stored HTML rendered on our pages would otherwise point at our
    own site. Links keep only http, https and mailto targets and get
    ``rel="noopener noreferrer nofollow"``; images keep only http(s) sources.
    """
    if not html_fragment.strip():
        return ""
    # The page title is rendered separately, so an article's own h1 becomes a section
    # heading instead of losing its structure to the allowlist.
    fragment = _H1_TAG.sub(r"<\1h2", strip_unencodable(html_fragment))
    cleaned = nh3.clean(
        fragment,
        tags=set(_ALLOWED_TAGS),
        clean_content_tags=set(_DROPPED_WITH_CONTENT),
        attributes={tag: set(names) for tag, names in _ALLOWED_ATTRIBUTES.items()},
        attribute_filter=_image_sources_http_only,
        url_schemes=set(_LINK_SCHEMES),
        link_rel=_LINK_REL,
        url_relative=("rewrite_with_base", base_url) if base_url else "deny",
        strip_comments=True,
    )
    return cleaned.strip()


def _image_sources_http_only(tag: str, attribute: str, value: str) -> str | None:
    # nh3 applies one scheme list to every URL attribute; mailto: is fine for a link but
    # meaningless as an image source. Relative sources pass here and are rewritten (or
    # denied) by nh3 afterwards.
    if tag == "img" and attribute == "src":
        match = _HAS_SCHEME.match(value.strip())
        if match and match.group(0).lower() not in {"http:", "https:"}:
            return None
    return value
