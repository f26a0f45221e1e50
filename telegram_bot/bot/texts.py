"""What the bot says.

Each function renders in the active language, so callers choose the language with
django.utils.translation.override; every string is a msgid in locale/ru.
"""

from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

# (command without the slash, description), in the order /help shows them.
COMMANDS: tuple[tuple[str, Promise], ...] = (
    ("start", _("show the welcome message")),
    ("help", _("list the commands")),
    ("digest", _("open the digest menu")),
    ("daily", _("send today's digest now")),
    ("weekly", _("send this week's digest now")),
    ("latest", _("the top news of the last 24 hours")),
    ("companies", _("browse companies and follow them")),
    ("subscribe", _("follow a company: /subscribe OpenAI")),
    ("unsubscribe", _("stop following a company")),
    ("settings", _("digest mode, frequency, format, time and time zone")),
    ("stop", _("disconnect this chat from your account")),
)


def commands_text() -> str:
    return "\n".join(f"/{name} — {description}" for name, description in COMMANDS)


def welcome_text() -> str:
    return "\n\n".join(
        (
            gettext("Hello! I am the AI Competitor Insight Hub bot."),
            gettext(
                "Link your account on the Settings page of the website, and I will send "
                "your AI competitor digests and alerts to this chat."
            ),
            gettext("Commands:") + "\n" + commands_text(),
        )
    )


def help_text() -> str:
    return gettext("Commands available now:") + "\n" + commands_text()
