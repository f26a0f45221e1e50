"""The web form for a webhook endpoint, and the URL check the API shares with it."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from webhooks.models import WebhookEvent
from webhooks.services import allowed_events
from webhooks.transport import WebhookTargetRefusedError, sender_from_settings

URL_MAX_LENGTH = 2000


def validate_target_url(value: str) -> None:
    """Refuse a URL the network policy would refuse at send time: not https (unless
    WEBHOOK_ALLOW_HTTP), credentials, a port other than 443/80, or a host that is or
    resolves to a private, loopback or link-local address (unless allowed by
    FETCH_ALLOW_PRIVATE_HOSTS). Looks the host up in DNS."""
    sender = sender_from_settings()
    try:
        sender.check_registration(value)
    except WebhookTargetRefusedError as error:
        raise ValidationError(
            _("This URL cannot receive webhooks. %(reason)s"),
            code="refused_target",
            params={"reason": str(error)},
        ) from error
    finally:
        sender.close()


def event_choices(user: User) -> list[tuple[str, str]]:
    allowed = allowed_events(user=user)
    return [(value, str(label)) for value, label in WebhookEvent.choices if value in allowed]


class WebhookEndpointForm(forms.Form):
    url = forms.URLField(
        label=_("URL"),
        max_length=URL_MAX_LENGTH,
        assume_scheme="https",
        help_text=_("An https address that accepts POST requests with a JSON body."),
    )
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    events = forms.MultipleChoiceField(
        label=_("Events"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one event.")},
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.MultipleChoiceField, self.fields["events"]).choices = event_choices(user)

    def clean_url(self) -> str:
        # Here rather than in the field's validators, which would all run (a DNS
        # lookup included) even for a value that is not a URL at all.
        url: str = self.cleaned_data["url"]
        validate_target_url(url)
        return url
