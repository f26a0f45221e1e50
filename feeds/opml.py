"""OPML 2.0 documents of sources: writing an export and reading an upload.

Pure: no ORM. An export groups sources into one outline per company; sources
without a company sit directly in the body. A feed source is a standard
subscription (type="rss" with xmlUrl), so any feed reader can follow it. Web
pages and GitHub release lists are not feeds: they are written as type="link"
outlines with their address in `url`, which readers show as links and do not
subscribe to. Attributes in the HUB_NAMESPACE namespace (kind, sourceType,
cssSelector, and the company's website) carry what OPML has no word for, so an
export imported into another instance recreates the same sources.

Uploads are parsed with defusedxml with DTDs forbidden outright: no entity
expansion ("billion laughs") and no external references, whatever the document
declares. Size and outline counts are capped.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime

import defusedxml  # type: ignore[import-untyped]
from defusedxml import ElementTree as SafeET

HUB_NAMESPACE = "urn:ai-competitor-insight-hub:opml:1"
HUB_PREFIX = "hub"
MAX_DOCUMENT_BYTES = 1024 * 1024
MAX_OUTLINES = 10_000
OPML_SPEC_URL = "http://opml.org/spec2.opml"

FEED_KIND = "feed"

# The standard library only writes documents here; uploads are read with defusedxml.
ET.register_namespace(HUB_PREFIX, HUB_NAMESPACE)


class OpmlError(ValueError):
    """The upload is not a usable OPML document; the message says why."""


@dataclass(frozen=True)
class OpmlSource:
    """One source as an OPML document holds it. Empty strings mean "not given"."""

    url: str
    kind: str = FEED_KIND
    title: str = ""
    source_type: str = ""
    css_selector: str = ""
    company: str = ""
    company_website: str = ""
    html_url: str = ""


@dataclass(frozen=True)
class OpmlProblem:
    """An outline that cannot become a source."""

    url: str
    reason: str


@dataclass(frozen=True)
class OpmlDocument:
    sources: list[OpmlSource]
    problems: list[OpmlProblem]


def _hub(name: str) -> str:
    return f"{{{HUB_NAMESPACE}}}{name}"


# ---------------------------------------------------------------- writing


def opml_render(*, sources: Iterable[OpmlSource], title: str, created_at: datetime) -> bytes:
    """The OPML 2.0 document of `sources`, grouped by company in the order given."""
    root = ET.Element("opml", {"version": "2.0"})
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    ET.SubElement(head, "dateCreated").text = format_datetime(created_at, usegmt=True)
    ET.SubElement(head, "docs").text = OPML_SPEC_URL
    body = ET.SubElement(root, "body")
    groups: dict[str, ET.Element] = {}
    for source in sources:
        parent = body
        if source.company:
            parent = groups.get(source.company, body)
            if parent is body:
                attributes = {"text": source.company, "title": source.company}
                if source.company_website:
                    attributes[_hub("website")] = source.company_website
                parent = groups[source.company] = ET.SubElement(body, "outline", attributes)
        ET.SubElement(parent, "outline", _source_attributes(source))
    ET.indent(root)
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return document


def _source_attributes(source: OpmlSource) -> dict[str, str]:
    name = source.title or source.url
    attributes = {"text": name, "title": name}
    if source.kind == FEED_KIND:
        attributes.update(type="rss", xmlUrl=source.url)
        if source.html_url:
            attributes["htmlUrl"] = source.html_url
    else:
        attributes.update(type="link", url=source.url)
    attributes[_hub("kind")] = source.kind
    if source.source_type:
        attributes[_hub("sourceType")] = source.source_type
    if source.css_selector:
        attributes[_hub("cssSelector")] = source.css_selector
    return attributes


# ---------------------------------------------------------------- reading


def opml_parse(*, data: bytes) -> OpmlDocument:
    """The sources an OPML upload lists, in document order. Raises OpmlError.

    An outline with an xmlUrl is a feed (or the kind its hub:kind names); a link
    outline is a source only with a hub:kind, as this module's exports write
    them. Other outlines are folders: the innermost one names the company of
    the sources inside it, and sources outside any folder have no company.
    """
    if len(data) > MAX_DOCUMENT_BYTES:
        raise OpmlError(
            f"The document is larger than {MAX_DOCUMENT_BYTES // 1024} KB; split it into parts."
        )
    if not data.strip():
        raise OpmlError("The document is empty.")
    try:
        root = SafeET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except defusedxml.DefusedXmlException as error:
        raise OpmlError(
            "The document declares a DTD or entities, which are not accepted in OPML uploads."
        ) from error
    except SafeET.ParseError as error:
        raise OpmlError(f"The document is not well-formed XML: {error}.") from error
    except (ValueError, LookupError) as error:
        # Encodings expat cannot read (a multi-byte declaration, an unknown name).
        raise OpmlError(f"The document cannot be read: {error}.") from error
    if _local_name(root.tag) != "opml":
        raise OpmlError("The document is XML but not OPML: its root element is not <opml>.")
    body = next((child for child in root if _local_name(child.tag) == "body"), None)
    if body is None:
        raise OpmlError("The OPML document has no <body>.")

    if sum(1 for _ in body.iter()) > MAX_OUTLINES:
        raise OpmlError(f"The document has more than {MAX_OUTLINES} outlines; split it into parts.")
    sources: list[OpmlSource] = []
    problems: list[OpmlProblem] = []
    for outline, company, website in _outlines(body):
        entry = _outline_source(outline, company=company, company_website=website)
        if isinstance(entry, OpmlSource):
            sources.append(entry)
        elif entry is not None:
            problems.append(entry)
    return OpmlDocument(sources=sources, problems=problems)


def _local_name(tag: object) -> str:
    return tag.rpartition("}")[2].lower() if isinstance(tag, str) else ""


def _plain_attributes(element: ET.Element) -> dict[str, str]:
    # OPML attribute names are case-sensitive in the spec, but exporters disagree
    # ("xmlurl", "xmlURL"); namespaced ones are read separately.
    return {
        name.lower(): value.strip() for name, value in element.attrib.items() if "}" not in name
    }


def _outlines(body: ET.Element) -> Iterator[tuple[ET.Element, str, str]]:
    """Every source-like outline with the name and website of its innermost folder.

    Iterative, so a deeply nested upload cannot exhaust the interpreter's stack.
    """
    stack: list[tuple[ET.Element, str, str]] = [
        (child, "", "") for child in reversed(list(body)) if _local_name(child.tag) == "outline"
    ]
    while stack:
        outline, company, website = stack.pop()
        attributes = _plain_attributes(outline)
        children = [child for child in outline if _local_name(child.tag) == "outline"]
        if _is_source(attributes) or not children:
            yield outline, company, website
            continue
        name = attributes.get("text") or attributes.get("title")
        if name:
            company, website = name, outline.get(_hub("website"), "").strip()
        stack.extend((child, company, website) for child in reversed(children))


def _is_source(attributes: dict[str, str]) -> bool:
    return bool(attributes.get("xmlurl") or attributes.get("url"))


def _outline_source(
    outline: ET.Element, *, company: str, company_website: str
) -> OpmlSource | OpmlProblem | None:
    attributes = _plain_attributes(outline)
    kind = outline.get(_hub("kind"), "").strip()
    url = attributes.get("xmlurl", "")
    if not url:
        link = attributes.get("url", "")
        if not link:
            return None  # an empty folder or a note: nothing to import
        if not kind or kind == FEED_KIND:
            return OpmlProblem(url=link, reason="A link, not a feed: it has no xmlUrl.")
        url = link
    return OpmlSource(
        url=url,
        kind=kind or FEED_KIND,
        title=attributes.get("title") or attributes.get("text", ""),
        source_type=outline.get(_hub("sourceType"), "").strip(),
        css_selector=outline.get(_hub("cssSelector"), "").strip(),
        company=company,
        company_website=company_website,
        html_url=attributes.get("htmlurl", ""),
    )
