import re

import pytest
from django.http import QueryDict
from django.template import Context

from news.forms import NewsFilterForm
from news.templatetags.news_tags import input_field, state_buttons

pytestmark = pytest.mark.django_db

INPUTS = ("q", "since", "until", "tracked", "hide_read")


@pytest.mark.parametrize(
    "query",
    [
        "",
        "q=rocket&since=2024-01-31&until=2024-02-01&tracked=1&hide_read=true",
        'q=a"b<c>&tracked=0&hide_read=no',
        "since=not-a-date&until=1900-01-01",  # errors: Django's own widget markup
    ],
)
def test_input_field_writes_what_the_widget_would(query):
    form = NewsFilterForm(QueryDict(query))
    form.filters()
    for name in INPUTS:
        assert input_field(form[name]) == str(form[name]), name


def _buttons(*, read, favourite, next_url="/news/?q=x", csrf="t0ken"):
    return state_buttons(Context({"csrf_token": csrf}), 7, read, favourite, next_url)


def test_state_buttons_post_the_opposite_of_each_flag():
    html = _buttons(read=True, favourite=False)
    assert html.startswith('<div class="state-buttons" id="item-state-7">')
    read_form, favourite_form = re.findall(r"<form.*?</form>", html, re.S)
    assert 'action="/news/7/read/" hx-post="/news/7/read/"' in read_form
    assert '<input type="hidden" name="value" value="0">' in read_form
    assert 'aria-pressed="true"' in read_form
    assert "Mark as unread" in read_form
    assert 'action="/news/7/favourite/"' in favourite_form
    assert '<input type="hidden" name="value" value="1">' in favourite_form
    assert 'aria-pressed="false"' in favourite_form
    assert 'fill="none"' in favourite_form
    assert "Add to favourites" in favourite_form
    for form in (read_form, favourite_form):
        assert 'hx-target="#item-state-7"' in form
        assert 'aria-describedby="item-title-7"' in form
        assert '<input type="hidden" name="csrfmiddlewaretoken" value="t0ken">' in form


def test_state_buttons_escape_the_return_url_and_skip_a_missing_token():
    html = _buttons(read=False, favourite=True, next_url='/news/?q="><script>', csrf="NOTPROVIDED")
    assert 'value="/news/?q=&quot;&gt;&lt;script&gt;"' in html
    assert "<script>" not in html
    assert "csrfmiddlewaretoken" not in html
    assert 'fill="currentColor"' in html
    assert "Remove from favourites" in html
