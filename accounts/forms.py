from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, UserCreationForm
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.selectors import user_get_by_email
from accounts.tasks import email_send


class SignUpForm(UserCreationForm[User]):
    class Meta:
        model = User
        fields = ("email", "full_name")
        labels = {"email": _("Email"), "full_name": _("Full name")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].widget.attrs.update({"autocomplete": "email", "autofocus": True})
        self.fields["full_name"].widget.attrs.update({"autocomplete": "name"})

    def clean_email(self) -> str:
        email = User.objects.normalize_email(self.cleaned_data["email"]).lower()
        if user_get_by_email(email=email) is not None:
            raise forms.ValidationError(
                _("An account with this email address already exists."), code="duplicate"
            )
        return email


class LoginForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("Email"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )

    error_messages = {
        "invalid_login": _("The email address and password do not match an account."),
        "inactive": _("This account is inactive."),
    }


class ProfileForm(forms.ModelForm[User]):
    class Meta:
        model = User
        fields = ("full_name", "language")
        labels = {"full_name": _("Full name"), "language": _("Language")}


class QueuedPasswordResetForm(PasswordResetForm):
    """Hands the reset email to a worker, so a slow or failing mail server
    neither blocks the request nor loses the message (the task retries)."""

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        from django.template import loader

        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body = loader.render_to_string(email_template_name, context)
        email_send.delay_on_commit(  # type: ignore[attr-defined]
            subject=subject, body=body, recipients=[to_email]
        )
