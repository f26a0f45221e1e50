"""Request parsing and response negotiation for the OPML routes, which carry XML
where the rest of the API speaks JSON."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import IO, Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.datastructures import MultiValueDict
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import BaseParser, DataAndFiles
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request

from feeds.opml import MAX_DOCUMENT_BYTES


class _XmlBodyParser(BaseParser):
    """A raw XML body, handed on as if uploaded in the multipart field "file", so one
    serializer validates both ways of sending a document. Reads one byte past the
    limit: enough to tell an oversized body without reading all of it."""

    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> DataAndFiles[MultiValueDict[str, Any], MultiValueDict[str, SimpleUploadedFile]]:
        content = stream.read(MAX_DOCUMENT_BYTES + 1)
        upload = SimpleUploadedFile("upload.opml", content, content_type=self.media_type)
        # Request.data merges the two with update(): a MultiValueDict adds values to
        # its lists, where a dict would take the files' lists whole.
        return DataAndFiles(MultiValueDict(), MultiValueDict({"file": [upload]}))


class XmlParser(_XmlBodyParser):
    media_type = "application/xml"


class TextXmlParser(_XmlBodyParser):
    media_type = "text/xml"


class OpmlParser(_XmlBodyParser):
    media_type = "text/x-opml"


class FirstRendererNegotiation(DefaultContentNegotiation):
    """The view's first renderer (JSON, for errors) whatever Accept says.

    The OPML export answers with an XML HttpResponse of its own; refusing a feed
    reader's "Accept: text/x-opml" with 406 because no JSON renderer matches would
    make no sense. Parsers are still chosen by Content-Type.
    """

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        renderer = next(iter(renderers))
        return renderer, renderer.media_type
