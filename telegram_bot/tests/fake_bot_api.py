"""A local stand-in for the Telegram Bot API, so bot tests never reach the internet.

The aiohttp server listens on a random 127.0.0.1 port in a background thread with its
own event loop. Code under test can then run its own loop (aiogram inside asyncio.run,
or `manage.py runbot` in a subprocess) and reach it over loopback, while the test
injects updates, programs failures and reads what was sent, from any thread.

It answers the way Telegram does where clients depend on it: `{"ok": true, "result": …}`
on success, `{"ok": false, "error_code": …, "description": …}` with the same HTTP status
on failure, `parameters.retry_after` on 429, and 409 from getUpdates while a webhook is set.

Two opt-in modes make it stricter, as Telegram is:

- `enforce_limits=True` answers sendMessage with 429 and a retry_after, the way
  Telegram's flood control does, when it would be the 31st message in the last
  second overall, the 2nd in the last second to one private chat (positive id),
  or the 21st in the last minute to one group or channel (negative id or "@name").
  Refused requests do not count towards the windows; `flood_refusals` counts them.
- `check_html=True` answers 400 "can't parse entities" to a sendMessage in HTML
  parse mode whose markup Telegram would reject (see `telegram_html_problem`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import multiprocessing
import socket
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from html.parser import HTMLParser
from multiprocessing.connection import Connection
from types import TracebackType
from typing import Any

from aiohttp import web

# aiogram rejects tokens that are not "<digits>:<secret>" before sending anything.
TOKEN = "123456789:TEST-fake-bot-api-token"

BLOCKED_BY_USER = "Forbidden: bot was blocked by the user"
CHAT_NOT_FOUND = "Bad Request: chat not found"
CANT_PARSE_ENTITIES = "Bad Request: can't parse entities"

# The tags Telegram's HTML parse mode accepts (https://core.telegram.org/bots/api#html-style).
TELEGRAM_HTML_TAGS = frozenset(
    {
        "a",
        "b",
        "blockquote",
        "code",
        "del",
        "em",
        "i",
        "ins",
        "pre",
        "s",
        "span",
        "strike",
        "strong",
        "tg-emoji",
        "tg-spoiler",
        "u",
    }
)

# Form fields arrive as strings; these are decoded so tests compare real values.
_JSON_FIELDS = frozenset(
    {
        "allowed_updates",
        "caption_entities",
        "entities",
        "link_preview_options",
        "reply_markup",
        "reply_parameters",
    }
)
_INTEGER_FIELDS = frozenset(
    {
        "cache_time",
        "limit",
        "max_connections",
        "message_id",
        "message_thread_id",
        "offset",
        "timeout",
    }
)
_BOOLEAN_FIELDS = frozenset(
    {"disable_notification", "drop_pending_updates", "protect_content", "show_alert"}
)

Params = dict[str, Any]
Result = tuple[int, Any]


@dataclass(frozen=True)
class Call:
    """One request the server received, including the ones it failed on purpose."""

    method: str
    params: Params


@dataclass
class _Failure:
    status: int
    description: str
    retry_after: int | None
    remaining: int
    # Calls served normally before this failure starts.
    skip: int = 0


@dataclass(frozen=True)
class FloodLimits:
    """At most `*_limit` messages in any `*_seconds` stretch; Telegram's by default."""

    overall_limit: int = 30
    overall_seconds: float = 1.0
    private_limit: int = 1
    private_seconds: float = 1.0
    group_limit: int = 20
    group_seconds: float = 60.0


class FakeBotAPI:
    """Use as a context manager, or call start() and stop()."""

    def __init__(
        self,
        *,
        token: str = TOKEN,
        long_poll_cap: float = 1.0,
        enforce_limits: bool = False,
        limits: FloodLimits | None = None,
        check_html: bool = False,
    ) -> None:
        self.token = token
        self.enforce_limits = enforce_limits
        self.limits = limits or FloodLimits()
        self.check_html = check_html
        # getUpdates waits at most this long, whatever timeout the client asks for,
        # so a stopping server or client is never held up by a parked long poll.
        self.long_poll_cap = long_poll_cap
        self.bot_user: dict[str, Any] = {
            "id": int(token.partition(":")[0]),
            "is_bot": True,
            "first_name": "Insight Hub (test)",
            "username": "insight_hub_test_bot",
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self._state = threading.Condition()
        self._calls: list[Call] = []
        self._sent_messages: list[Params] = []
        self._updates: list[dict[str, Any]] = []
        self._next_update_id = 1
        self._next_message_id = 1
        self._message_texts: dict[tuple[int | str, int], str] = {}
        self._failures: dict[str, list[_Failure]] = {}
        self._webhook: Params = {}
        # Arrival times (time.monotonic) of the messages flood control let through.
        self._recent: dict[str, deque[float]] = {}
        self._admitted: list[tuple[float, int | str]] = []
        self._flood_refusals = 0
        self._refusal_reasons: list[str] = []
        self._closing = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._arrival: asyncio.Event | None = None
        self._port = 0
        self._methods: dict[str, Callable[[Params], Awaitable[Result]]] = {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "answerCallbackQuery": self._answer_callback_query,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
        }
        # Telegram matches method names case-insensitively.
        self._method_names = {name.lower(): name for name in self._methods}

    # ------------------------------------------------------------ lifecycle

    def start(self) -> FakeBotAPI:
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._thread = threading.Thread(target=loop.run_forever, name="fake-bot-api", daemon=True)
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._serve(), loop).result(timeout=10)
        return self

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
        self._loop = self._thread = None

    def __enter__(self) -> FakeBotAPI:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """What TELEGRAM_API_BASE should be, for example http://127.0.0.1:40123."""
        return f"http://127.0.0.1:{self._port}"

    # ------------------------------------------------------------ test controls

    @property
    def calls(self) -> list[Call]:
        with self._state:
            return list(self._calls)

    def calls_to(self, method: str) -> list[Params]:
        return [call.params for call in self.calls if call.method == method]

    @property
    def sent_messages(self) -> list[Params]:
        """The parameters of every sendMessage that succeeded, oldest first."""
        with self._state:
            return list(self._sent_messages)

    @property
    def flood_refusals(self) -> int:
        """How many sendMessage calls enforce_limits answered with 429."""
        with self._state:
            return self._flood_refusals

    @property
    def refusal_reasons(self) -> list[str]:
        """For each limit a refused message would have broken: the window and how
        long after the message that filled it this one arrived."""
        with self._state:
            return list(self._refusal_reasons)

    @property
    def admitted(self) -> list[tuple[float, int | str]]:
        """(arrival time on time.monotonic, chat id) of each sendMessage that flood
        control let through, oldest first; empty unless enforce_limits is on."""
        with self._state:
            return list(self._admitted)

    @property
    def webhook_url(self) -> str:
        with self._state:
            return str(self._webhook.get("url", ""))

    def push_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an update for getUpdates; an update_id is assigned when missing."""
        with self._state:
            update = {"update_id": self._next_update_id, **update}
            self._next_update_id = max(self._next_update_id, update["update_id"]) + 1
            self._updates.append(update)
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._wake_long_polls)
        return update

    def fail_next(
        self,
        method: str,
        status: int,
        description: str,
        retry_after: int | None = None,
        *,
        times: int = 1,
        after: int = 0,
    ) -> None:
        """Answer the next `times` calls of `method` with this error instead of serving
        them, once `after` calls have been served normally.

        For example fail_next("sendMessage", 429, "Too Many Requests: retry after 3",
        retry_after=3), or fail_next("sendMessage", 403, BLOCKED_BY_USER, after=1).
        """
        failure = _Failure(status, description, retry_after, remaining=times, skip=after)
        with self._state:
            self._failures.setdefault(self._canonical(method), []).append(failure)

    def wait_for_messages(self, count: int = 1, timeout: float = 5.0) -> list[Params]:
        """Block until at least `count` messages were sent; fail the test otherwise."""
        with self._state:
            if not self._state.wait_for(lambda: len(self._sent_messages) >= count, timeout):
                raise AssertionError(
                    f"expected {count} sent message(s) within {timeout}s, "
                    f"got {len(self._sent_messages)}; calls: {[c.method for c in self._calls]}"
                )
            return list(self._sent_messages)

    def wait_for_call(self, method: str, timeout: float = 5.0) -> Params:
        """Block until `method` is called at least once and return its first parameters."""
        with self._state:
            if not self._state.wait_for(
                lambda: any(call.method == method for call in self._calls), timeout
            ):
                raise AssertionError(f"{method} was not called within {timeout}s")
            return next(call.params for call in self._calls if call.method == method)

    @staticmethod
    def message_update(
        text: str,
        *,
        chat_id: int = 1001,
        user_id: int | None = None,
        language_code: str | None = "en",
        first_name: str = "Ada",
    ) -> dict[str, Any]:
        """An update carrying a private-chat text message, with command entities set the
        way Telegram sets them (aiogram's filters read the text, but clients may not)."""
        sender: dict[str, Any] = {
            "id": user_id if user_id is not None else chat_id,
            "is_bot": False,
            "first_name": first_name,
        }
        if language_code is not None:
            sender["language_code"] = language_code
        message: dict[str, Any] = {
            "message_id": 1,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private", "first_name": first_name},
            "from": sender,
            "text": text,
        }
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return {"message": message}

    # ------------------------------------------------------------ server

    async def _serve(self) -> None:
        self._arrival = asyncio.Event()
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._dispatch)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        # Binding the socket here, rather than through TCPSite, tells us the port.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self._port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()

    async def _shutdown(self) -> None:
        with self._state:
            self._closing = True
        self._wake_long_polls()
        if self._runner is not None:
            await self._runner.cleanup()

    def _wake_long_polls(self) -> None:
        # Each parked getUpdates holds the event current when it parked; replacing it
        # wakes all of them at once and lets later ones park on a fresh one.
        if self._arrival is not None:
            self._arrival.set()
        self._arrival = asyncio.Event()

    def _canonical(self, method: str) -> str:
        return self._method_names.get(method.lower(), method)

    async def _dispatch(self, request: web.Request) -> web.Response:
        arrived = time.monotonic()
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        method = self._canonical(request.match_info["method"])
        params = await _read_params(request)
        with self._state:
            self._calls.append(Call(method, params))
            self._state.notify_all()
            failure = self._take_failure(method)
            if failure is None and method == "sendMessage" and self.enforce_limits:
                failure = self._flood_control(params.get("chat_id"), arrived)
        if failure is not None:
            return _error(failure.status, failure.description, failure.retry_after)
        serve = self._methods.get(method)
        if serve is None:
            return _error(404, "Not Found")
        status, payload = await serve(params)
        if status != 200:
            return _error(status, payload)
        return web.json_response({"ok": True, "result": payload})

    def _flood_control(self, chat_id: int | str | None, now: float) -> _Failure | None:
        """A 429 when this message would break a limit, else None (and it is counted)."""
        limits = self.limits
        if isinstance(chat_id, int) and chat_id > 0:
            chat_limit, chat_seconds = limits.private_limit, limits.private_seconds
        else:
            chat_limit, chat_seconds = limits.group_limit, limits.group_seconds
        windows = [
            ("overall", limits.overall_limit, limits.overall_seconds),
            (f"chat:{str(chat_id).lower()}", chat_limit, chat_seconds),
        ]
        retry_after = 0.0
        broken = []
        for key, limit, seconds in windows:
            recent = self._recent.setdefault(key, deque())
            while recent and recent[0] <= now - seconds:
                recent.popleft()
            if len(recent) >= limit:
                retry_after = max(retry_after, recent[len(recent) - limit] + seconds - now)
                broken.append(f"{key}: {now - recent[len(recent) - limit]:.3f} s")
        if retry_after > 0:
            self._flood_refusals += 1
            self._refusal_reasons.extend(broken)
            seconds_to_wait = max(1, math.ceil(retry_after))
            return _Failure(
                429, f"Too Many Requests: retry after {seconds_to_wait}", seconds_to_wait, 0
            )
        for key, _limit, _seconds in windows:
            self._recent[key].append(now)
        self._admitted.append((now, chat_id if chat_id is not None else ""))
        return None

    def _take_failure(self, method: str) -> _Failure | None:
        queue = self._failures.get(method)
        if not queue:
            return None
        failure = queue[0]
        if failure.skip > 0:
            failure.skip -= 1
            return None
        failure.remaining -= 1
        if failure.remaining <= 0:
            queue.pop(0)
        return failure

    # ------------------------------------------------------------ methods

    async def _get_me(self, params: Params) -> Result:
        return 200, self.bot_user

    async def _get_updates(self, params: Params) -> Result:
        offset = int(params.get("offset", 0))
        limit = min(max(int(params.get("limit", 100)), 1), 100)
        deadline = time.monotonic() + min(float(params.get("timeout", 0)), self.long_poll_cap)
        while True:
            arrival = self._arrival
            with self._state:
                if self._webhook.get("url"):
                    return 409, (
                        "Conflict: can't use getUpdates method while webhook is active; "
                        "use deleteWebhook to delete the webhook first"
                    )
                self._confirm(offset)
                if self._updates or self._closing:
                    return 200, self._updates[:limit]
            remaining = deadline - time.monotonic()
            if remaining <= 0 or arrival is None:
                return 200, []
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(arrival.wait(), remaining)

    def _confirm(self, offset: int) -> None:
        # Telegram forgets updates below a positive offset; a negative one keeps
        # only that many of the newest.
        if offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        elif offset < 0:
            self._updates = self._updates[offset:]

    async def _send_message(self, params: Params) -> Result:
        chat_id, text = params.get("chat_id"), params.get("text")
        if chat_id is None or chat_id == "":
            return 400, "Bad Request: chat_id is empty"
        if not text:
            return 400, "Bad Request: message text is empty"
        if self.check_html and str(params.get("parse_mode", "")).lower() == "html":
            problem = telegram_html_problem(str(text))
            if problem is not None:
                return 400, f"{CANT_PARSE_ENTITIES}: {problem}"
        with self._state:
            message_id = self._next_message_id
            self._next_message_id += 1
            self._message_texts[(chat_id, message_id)] = str(text)
            self._sent_messages.append(params)
            self._state.notify_all()
        return 200, self._message(chat_id, message_id, params)

    async def _edit_message_text(self, params: Params) -> Result:
        if params.get("inline_message_id"):
            return 200, True
        chat_id, message_id, text = (
            params.get("chat_id"),
            params.get("message_id"),
            params.get("text"),
        )
        if not text:
            return 400, "Bad Request: message text is empty"
        if chat_id is None or message_id is None:
            return 400, "Bad Request: message to edit not found"
        key = (chat_id, int(message_id))
        with self._state:
            if key not in self._message_texts:
                return 400, "Bad Request: message to edit not found"
            if self._message_texts[key] == text:
                return 400, (
                    "Bad Request: message is not modified: specified new message content "
                    "and reply markup are exactly the same as a current content and reply "
                    "markup of the message"
                )
            self._message_texts[key] = str(text)
        return 200, self._message(chat_id, int(message_id), params)

    async def _answer_callback_query(self, params: Params) -> Result:
        if not params.get("callback_query_id"):
            return 400, "Bad Request: query is too old or query ID is invalid"
        return 200, True

    async def _set_webhook(self, params: Params) -> Result:
        if not params.get("url"):
            return 400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
        with self._state:
            self._webhook = dict(params)
        return 200, True

    async def _delete_webhook(self, params: Params) -> Result:
        with self._state:
            self._webhook = {}
            if params.get("drop_pending_updates"):
                self._updates = []
        return 200, True

    async def _get_webhook_info(self, params: Params) -> Result:
        with self._state:
            info: dict[str, Any] = {
                "url": self._webhook.get("url", ""),
                "has_custom_certificate": False,
                "pending_update_count": len(self._updates),
            }
            if "allowed_updates" in self._webhook:
                info["allowed_updates"] = self._webhook["allowed_updates"]
        return 200, info

    def _message(self, chat_id: int | str, message_id: int, params: Params) -> dict[str, Any]:
        if isinstance(chat_id, str):
            chat: dict[str, Any] = {"id": -1000000000001, "type": "channel", "title": chat_id}
        elif chat_id > 0:
            chat = {"id": chat_id, "type": "private", "first_name": "Ada"}
        else:
            chat = {"id": chat_id, "type": "group", "title": "Test group"}
        message: dict[str, Any] = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": chat,
            "from": self.bot_user,
            "text": params["text"],
        }
        markup = params.get("reply_markup")
        # Message.reply_markup only ever holds an inline keyboard.
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        return message


class _MarkupCheck(HTMLParser):
    def __init__(self, text: str, allowed: Collection[str]) -> None:
        super().__init__(convert_charrefs=True)
        self.text = text
        self.allowed = allowed
        self.open: list[str] = []
        self.problem: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.problem is None and tag not in self.allowed:
            self.problem = f'Unsupported start tag "{tag}" at byte offset {self._offset()}'
        elif tag == "a" and not dict(attrs).get("href"):
            self.problem = self.problem or f"Empty link URL at byte offset {self._offset()}"
        self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.problem = self.problem or f'Unsupported start tag "{tag}/"'

    def handle_endtag(self, tag: str) -> None:
        if self.problem is not None:
            return
        if not self.open or self.open[-1] != tag:
            self.problem = f"Unexpected end tag at byte offset {self._offset()}"
        else:
            self.open.pop()

    def _offset(self) -> int:
        line, column = self.getpos()
        lines = self.text.split("\n")
        return len("\n".join(lines[: line - 1]).encode()) + (line > 1) + column


def telegram_html_problem(
    text: str, *, allowed: Collection[str] = TELEGRAM_HTML_TAGS
) -> str | None:
    """Why Telegram would refuse `text` in HTML parse mode, or None when it parses:
    tags outside `allowed`, a link without an address, an end tag that does not
    close the innermost open tag, or a tag left open."""
    check = _MarkupCheck(text, allowed)
    check.feed(text)
    check.close()
    if check.problem is None and check.open:
        return f'Can\'t find end tag corresponding to start tag "{check.open[-1]}"'
    return check.problem


async def _read_params(request: web.Request) -> Params:
    """Parameters from the query string and from a JSON, urlencoded or multipart body,
    all of which Telegram accepts (aiogram sends multipart)."""
    params: Params = {key: _decode(key, value) for key, value in request.query.items()}
    if not request.body_exists:
        return params
    if request.content_type == "application/json":
        body = await request.json()
        if isinstance(body, dict):
            params.update(body)
        return params
    form = await request.post()
    for key, value in form.items():
        if isinstance(value, str):
            params[key] = _decode(key, value)
        elif isinstance(value, web.FileField):
            params[key] = {"filename": value.filename}
    return params


def _decode(key: str, value: str) -> Any:
    if key in _JSON_FIELDS:
        return json.loads(value)
    if key in _INTEGER_FIELDS:
        return int(value)
    if key in _BOOLEAN_FIELDS:
        return value.lower() == "true"
    if key in {"chat_id", "from_chat_id"}:
        # "@channelusername" is a valid chat_id too.
        return int(value) if value.lstrip("-").isdigit() else value
    return value


def _error(status: int, description: str, retry_after: int | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return web.json_response(body, status=status)


def serve_strict_fake(connection: Connection) -> None:
    """Runs in a process of its own: a limit-enforcing fake whose arrival times are
    not skewed by the senders' threads sharing its interpreter. Sends (token,
    base_url), waits for any message, then sends what it saw."""
    with FakeBotAPI(enforce_limits=True, check_html=True) as fake:
        connection.send((fake.token, fake.base_url))
        connection.recv()
        connection.send(
            {
                "refusals": fake.flood_refusals,
                "refusal_reasons": fake.refusal_reasons,
                "admitted": fake.admitted,
                "sent_messages": fake.sent_messages,
            }
        )


class StrictFakeProcess:
    """`with StrictFakeProcess() as fake:` points the settings at a limit-enforcing
    fake in another process; `fake.results()` stops it and returns what it saw."""

    def __init__(self, settings: Any) -> None:
        self._settings = settings
        self._results: dict[str, Any] | None = None

    def __enter__(self) -> StrictFakeProcess:
        context = multiprocessing.get_context("spawn")
        self._ours, theirs = context.Pipe()
        self._process = context.Process(target=serve_strict_fake, args=(theirs,), daemon=True)
        self._process.start()
        theirs.close()  # a fake that dies ends our recv() with EOFError
        self._settings.TELEGRAM_BOT_TOKEN, self._settings.TELEGRAM_API_BASE = self._ours.recv()
        return self

    def results(self) -> dict[str, Any]:
        if self._results is None:
            self._ours.send("stop")
            self._results = self._ours.recv()
        return self._results

    def __exit__(self, *exc_info: object) -> None:
        try:
            self.results()
        finally:
            self._process.join(10)
            if self._process.is_alive():
                self._process.terminate()
