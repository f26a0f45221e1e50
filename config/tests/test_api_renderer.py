"""The API's orjson renderer writes what DRF's own JSON renderer writes."""

from __future__ import annotations

import datetime
import json
import uuid
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils.translation import gettext_lazy
from rest_framework import renderers
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from config.api.renderers import JSONRenderer

UTC_MOMENT = datetime.datetime(2026, 3, 29, 1, 30, 5, 120, tzinfo=datetime.UTC)


def _both(data, media_type="application/json", context=None) -> tuple[bytes, bytes]:
    ours = JSONRenderer().render(data, media_type, context or {})
    drf = renderers.JSONRenderer().render(data, media_type, context or {})
    return ours, drf


@pytest.mark.parametrize(
    "data",
    [
        {"results": [{"id": 1, "title": "Модель «Ω»", "priority": 0.75, "read": False}]},
        {"at": UTC_MOMENT, "whole": UTC_MOMENT.replace(microsecond=0)},
        {"berlin": datetime.datetime(2026, 10, 25, 2, 30, tzinfo=ZoneInfo("Europe/Berlin"))},
        {
            "naive": datetime.datetime(2026, 1, 1, 9, 0),  # noqa: DTZ001 - naive on purpose
            "day": datetime.date(2026, 2, 28),
        },
        {"time": datetime.time(9, 30), "span": datetime.timedelta(hours=1, seconds=1)},
        {"label": gettext_lazy("Model release"), "nested": [gettext_lazy("Funding")]},
        {"id": uuid.UUID(int=7), "amount": Decimal("12.50")},
        {1: "one", 2: [None, True]},
        ReturnDict({"a": ReturnList([1, 2], serializer=None)}, serializer=None),  # type: ignore[call-overload]
        {"tuple": (1, "two"), "set": {3}},
        {"separators": "line\u2028paragraph\u2029end"},
        {"huge": 2**70},
        [],
        "",
    ],
)
def test_output_is_byte_for_byte_drfs(data):
    ours, drf = _both(data)
    assert ours == drf


def test_none_renders_nothing():
    assert JSONRenderer().render(None) == b""


def test_an_indent_asked_for_is_honoured_as_drf_does():
    ours, drf = _both({"a": [1]}, "application/json; indent=4")
    assert ours == drf == b'{\n    "a": [\n        1\n    ]\n}'


def test_what_neither_can_encode_fails_as_drf_fails():
    @dataclass
    class Opaque:
        value: int

    with pytest.raises(TypeError):
        JSONRenderer().render({"x": Opaque(1)})
    with pytest.raises(TypeError):
        renderers.JSONRenderer().render({"x": Opaque(1)})


def test_a_non_finite_float_is_null_rather_than_an_error():
    assert json.loads(JSONRenderer().render({"x": float("nan")})) == {"x": None}


def test_the_api_answers_through_it(token_client):
    response = token_client.get("/api/v1/categories/")

    assert response.status_code == 200
    assert isinstance(response.accepted_renderer, JSONRenderer)
    assert response.json()[0]["value"]
