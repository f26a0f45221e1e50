"""A user's read and favourite state of news items: the writes and the reads.

Every function takes the user explicitly and only ever touches that user's rows,
so a view passing request.user cannot read or change anyone else's state.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from news.models import ItemState


@dataclass(frozen=True)
class ItemStateFlags:
    read: bool = False
    favourite: bool = False


# ---------------------------------------------------------------- selectors


def item_states_for_items(*, user: User, item_ids: Iterable[int]) -> dict[int, ItemStateFlags]:
    """Item id → the user's flags, for the items that have a state row (one query)."""
    ids = list(item_ids)
    if not ids:
        return {}
    rows = ItemState.objects.filter(user=user, item_id__in=ids).values_list(
        "item_id", "read_at", "favourited_at"
    )
    return {
        item_id: ItemStateFlags(read=read_at is not None, favourite=favourited_at is not None)
        for item_id, read_at, favourited_at in rows
    }


def item_state_flags(*, user: User, item_id: int) -> ItemStateFlags:
    return item_states_for_items(user=user, item_ids=[item_id]).get(item_id, ItemStateFlags())


# ---------------------------------------------------------------- services


def item_state_set_read(*, user: User, item_id: int, read: bool) -> ItemStateFlags:
    """Set (not toggle) whether the user has read the item.

    Idempotent: the row is upserted on the unique (user, item), and the timestamp
    changes only when the state does, so repeating a request changes nothing.
    The item must exist (the caller checks; a missing one fails on the foreign key).
    """
    return _item_state_set(user=user, item_id=item_id, field="read_at", on=read)


def item_state_set_favourite(*, user: User, item_id: int, favourite: bool) -> ItemStateFlags:
    """Set (not toggle) whether the item is among the user's favourites.

    Idempotent like item_state_set_read; keeping the first favourited_at also keeps
    a repeated "add" from moving the item to the top of the favourites.
    """
    return _item_state_set(user=user, item_id=item_id, field="favourited_at", on=favourite)


def _item_state_set(*, user: User, item_id: int, field: str, on: bool) -> ItemStateFlags:
    with transaction.atomic():
        if on:
            # Insert-or-nothing, then a conditional update: concurrent requests for the
            # same (user, item) cannot collide on the unique constraint, and an
            # already-set timestamp is kept.
            ItemState.objects.bulk_create(
                [ItemState(user=user, item_id=item_id)], ignore_conflicts=True
            )
            ItemState.objects.filter(
                user=user, item_id=item_id, **{f"{field}__isnull": True}
            ).update(**{field: timezone.now()})
        else:
            ItemState.objects.filter(
                user=user, item_id=item_id, **{f"{field}__isnull": False}
            ).update(**{field: None})
    return item_state_flags(user=user, item_id=item_id)
