"""What the account commands say, as Telegram HTML.

Each function renders in the active language, so callers pick it with
django.utils.translation.override. Every value that comes from the database or the
user (company names, titles, queries) is escaped here.
"""

from __future__ import annotations

from html import escape

from django.urls import reverse
from django.utils.formats import date_format, time_format
from django.utils.translation import gettext, ngettext

from accounts.models import DigestFormat, DigestFrequency, Preferences
from digests.rendering.common import HIGH_PRIORITY_MARK, EntryView, digest_sections
from digests.rendering.telegram import telegram_length
from digests.scheduling import zone_or_utc
from telegram_bot.bot.command_services import (
    CompanyChoice,
    CompanyPage,
    DigestSettings,
    Latest,
    Setting,
)

MESSAGE_LIMIT = 4096
# Titles are cut here in /latest so that ten of them, with links, fit one message.
LATEST_TITLE_CHARS = 200
# A link longer than this is left off and the title shown as text.
LINK_CHARS = 1000


def _link(url: str, text: str) -> str:
    return f'<a href="{escape(url, quote=True)}">{escape(text)}</a>'


def connect_url(site_url: str) -> str:
    return site_url.rstrip("/") + reverse("settings:index") + "#telegram"


def connect_text(*, site_url: str) -> str:
    url = connect_url(site_url)
    # The address is shown as well as linked: some clients hide links to a local site.
    return "\n".join(
        (
            escape(gettext("This needs your Insight Hub account.")),
            escape(
                gettext("Connect Telegram on the Settings page of the website, then try again:")
            ),
            _link(url, url),
        )
    )


def stale_button_text() -> str:
    return gettext("This button is out of date. Send the command again.")


def saved_text() -> str:
    return gettext("Saved.")


# ---------------------------------------------------------------- digests


def digest_menu_text() -> str:
    return escape(gettext("What would you like to read?"))


def daily_button() -> str:
    return "📬 " + gettext("Today's digest")


def weekly_button() -> str:
    return "🗓 " + gettext("This week's digest")


def latest_button() -> str:
    return "🔥 " + gettext("Latest news")


def settings_button() -> str:
    return "⚙️ " + gettext("Digest settings")


def digest_empty_text(kind: str) -> str:
    if kind == "weekly":
        return escape(gettext("Nothing new this week so far, so there is no digest to send."))
    return escape(gettext("Nothing new today so far, so there is no digest to send."))


def _latest_entry(number: int, company: str, view: EntryView) -> str:
    title = view.title
    if len(title) > LATEST_TITLE_CHARS:
        title = title[: LATEST_TITLE_CHARS - 1].rstrip() + "…"
    url = view.original_url
    line = _link(url, title) if url and len(url) <= LINK_CHARS else escape(title)
    if view.high_priority:
        line = f"{HIGH_PRIORITY_MARK} {line}"
    notes = " · ".join(escape(note) for note in (company, view.source, view.sources_note) if note)
    block = f"{number}. {line}"
    if notes:
        block += f"\n<i>{notes}</i>"
    if view.summary:
        block += f"\n{escape(view.summary)}"
    return block


def latest_text(*, latest: Latest, site_url: str) -> str:
    """One message of at most MESSAGE_LIMIT characters: the items best first, as
    many as fit."""
    scope = (
        gettext("From all news")
        if latest.mode == Preferences.Scope.ALL
        else gettext("From your companies and topics")
    )
    title = gettext("Top news of the last 24 hours")
    heading = f"<b>🔥 {escape(title)}</b>\n<i>{escape(scope)}</i>"
    footer = _link(site_url.rstrip("/") + reverse("news:list"), gettext("More news on the web"))
    sections = digest_sections(
        content=latest.content, site_url=site_url, summaries=latest.summaries
    )
    ranked = sorted(
        (
            (company.name, view)
            for company in sections
            for category in company.categories
            for view in category.entries
        ),
        key=lambda pair: -pair[1].entry.score,
    )
    if not ranked:
        nothing = gettext("Nothing new in the last 24 hours.")
        return f"{heading}\n\n{escape(nothing)}\n\n{footer}"
    text, number = heading, 0
    for company, view in ranked:
        block = _latest_entry(number + 1, company, view)
        if telegram_length(f"{text}\n\n{block}\n\n{footer}") <= MESSAGE_LIMIT:
            text, number = f"{text}\n\n{block}", number + 1
    return f"{text}\n\n{footer}"


# ---------------------------------------------------------------- companies


def companies_text(page: CompanyPage) -> str:
    if not page.companies:
        return escape(gettext("No companies are tracked yet."))
    counts = gettext("page %(page)d of %(pages)d") % {"page": page.page + 1, "pages": page.pages}
    following = ngettext(
        "You follow %(count)d company.", "You follow %(count)d companies.", page.followed_count
    ) % {"count": page.followed_count}
    return "\n".join(
        (
            f"<b>{escape(gettext('Companies'))}</b> · {escape(counts)}",
            escape(following),
            escape(gettext("Tap a company to follow or unfollow it.")),
        )
    )


def company_button(choice: CompanyChoice) -> str:
    if choice.followed:
        return "✅ " + gettext("%(name)s · unfollow") % {"name": choice.name}
    return "☆ " + gettext("%(name)s · follow") % {"name": choice.name}


def previous_page_button() -> str:
    return "◀"


def next_page_button() -> str:
    return "▶"


def subscribe_usage_text() -> str:
    return "\n".join(
        (
            escape(gettext("Name the company to follow, for example: /subscribe OpenAI")),
            escape(gettext("/companies lists every company.")),
        )
    )


def unsubscribe_usage_text() -> str:
    return "\n".join(
        (
            escape(gettext("Name the company to stop following, for example: /unsubscribe OpenAI")),
            escape(gettext("/companies shows the ones you follow.")),
        )
    )


def follow_done_text(*, name: str, following: bool, changed: bool) -> str:
    """Plain text: it also serves as a callback answer, which is not HTML."""
    if following and changed:
        text = gettext("You now follow %(name)s: its news goes into your digests and alerts.")
    elif following:
        text = gettext("You already follow %(name)s.")
    elif changed:
        text = gettext("You no longer follow %(name)s.")
    else:
        text = gettext("You do not follow %(name)s.")
    return text % {"name": name}


def company_gone_text() -> str:
    return gettext("That company is no longer available.")


def suggestions_text(*, query: str) -> str:
    return escape(
        gettext("No company is called “%(query)s”. Did you mean one of these?") % {"query": query}
    )


def no_match_text(*, query: str) -> str:
    return "\n".join(
        (
            escape(gettext("No company matches “%(query)s”.") % {"query": query}),
            escape(gettext("/companies lists every company.")),
        )
    )


def nothing_to_unfollow_text() -> str:
    return escape(gettext("You do not follow any company yet. /companies lists them all."))


def suggestion_button(choice: CompanyChoice, *, following: bool) -> str:
    if following:
        return "⭐ " + gettext("Follow %(name)s") % {"name": choice.name}
    return "✖ " + gettext("Unfollow %(name)s") % {"name": choice.name}


# ---------------------------------------------------------------- settings


def setting_name(setting: Setting) -> str:
    names = {
        Setting.MODE: gettext("Digest covers"),
        Setting.FREQUENCY: gettext("How often"),
        Setting.FORMAT: gettext("Format"),
        Setting.TIME: gettext("Delivery time"),
        Setting.TIMEZONE: gettext("Time zone"),
    }
    return names[setting]


def setting_value(setting: Setting, value: str) -> str:
    """The label of a value as the settings page shows it."""
    if setting is Setting.MODE and value in Preferences.Scope.values:
        return str(Preferences.Scope(value).label)
    if setting is Setting.FREQUENCY and value in DigestFrequency.values:
        return str(DigestFrequency(value).label)
    if setting is Setting.FORMAT and value in DigestFormat.values:
        return str(DigestFormat(value).label)
    return value


def current_values(current: DigestSettings) -> dict[Setting, str]:
    return {
        Setting.MODE: current.mode,
        Setting.FREQUENCY: current.frequency,
        Setting.FORMAT: current.format,
        Setting.TIME: current.time.strftime("%H:%M"),
        Setting.TIMEZONE: current.timezone,
    }


def _next_digest(current: DigestSettings) -> str:
    if not current.enabled:
        return gettext("Digests are off: turn them on on the website.")
    if current.next_digest_at is None:
        return gettext("No digest is scheduled.")
    local = current.next_digest_at.astimezone(zone_or_utc(current.timezone))
    moment = f"{date_format(local, 'DATE_FORMAT')}, {time_format(local, 'TIME_FORMAT')}"
    return gettext("Next digest: %(moment)s") % {"moment": moment}


def settings_text(*, current: DigestSettings, site_url: str) -> str:
    values = current_values(current)
    lines = [f"<b>⚙️ {escape(gettext('Digest settings'))}</b>", ""]
    for setting, value in values.items():
        lines.append(
            f"{escape(setting_name(setting))}: <b>{escape(setting_value(setting, value))}</b>"
        )
    lines += ["", escape(_next_digest(current))]
    if not current.sends_to_telegram:
        lines.append(
            escape(gettext("Digests come here only when Telegram is among their channels."))
        )
    url = site_url.rstrip("/") + reverse("settings:digests")
    lines += ["", _link(url, gettext("Days, channels and every time zone are on the website."))]
    return "\n".join(lines)


def setting_prompt(*, setting: Setting, current: DigestSettings, site_url: str) -> str:
    questions = {
        Setting.MODE: gettext("What should your digests cover?"),
        Setting.FREQUENCY: gettext("How often should digests come?"),
        Setting.FORMAT: gettext("How much should a digest show?"),
        Setting.TIME: gettext("At what time should digests come?"),
        Setting.TIMEZONE: gettext("Which time zone are you in?"),
    }
    value = current_values(current)[setting]
    now_label = gettext("Now:")
    lines = [
        f"<b>{escape(questions[setting])}</b>",
        "",
        f"{escape(now_label)} <b>{escape(setting_value(setting, value))}</b>",
    ]
    if setting is Setting.TIME:
        lines.append(escape(gettext("Times are in %(zone)s.") % {"zone": current.timezone}))
    lines.append(escape(_next_digest(current)))
    url = site_url.rstrip("/") + reverse("settings:digests")
    if setting is Setting.FREQUENCY:
        lines += ["", _link(url, gettext("Digests on chosen days are set on the website."))]
    if setting is Setting.TIMEZONE:
        lines += ["", _link(url, gettext("Every other time zone is on the website."))]
    return "\n".join(lines)


def back_button() -> str:
    return "« " + gettext("Back")
