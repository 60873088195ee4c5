"""What every domain's DataLoaders share: made per request, lazily, once per access pattern.

Never module-level: a loader caches for its lifetime, and what one viewer may
see must not leak to the next request. Each domain declares its loaders in
``schema/<domain>/dataloaders.py``; ``schema/loaders.py`` composes them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Sequence
from functools import partial
from typing import Any, Concatenate, ParamSpec, TypeGuard, TypeVar, cast

from graphql.pyutils import AwaitableOrValue
from strawberry.dataloader import DataLoader

from services.access import Principal

K = TypeVar("K")
V = TypeVar("V")
T = TypeVar("T")
R = TypeVar("R")
P = ParamSpec("P")

#: A batch function: the values for these keys, in their order.
BatchLoad = Callable[[Sequence[K]], Awaitable[list[V]]]


def then(pending: Awaitable[T], make: Callable[[T], R]) -> AwaitableOrValue[R]:
    """``make`` of what a loader answers, for a resolver that is not a coroutine: at once when the
    loader already holds the row (a list of forty students of one class asks for the same class,
    school and district forty times), else when it arrives. An async resolver would pay for a
    coroutine and a task per item even then, and on a nested list that is most of the work.

    Its resolvers say so: they return ``AwaitableOrValue[X]`` and name the GraphQL type
    (``graphql_type=X``), which strawberry would otherwise read from the return annotation."""
    if holds_value(pending):
        return make(pending.result())
    return _later(pending, make)


def holds_value(pending: object) -> TypeGuard[asyncio.Future[Any]]:
    """A loader's future that already has its row (not pending, failed or cancelled)."""
    return isinstance(pending, asyncio.Future) and pending.done() and not pending.cancelled() \
        and pending.exception() is None


async def _later(pending: Awaitable[T], make: Callable[[T], R]) -> R:
    return make(await pending)


def referenced(pending: Awaitable[T | None]) -> Awaitable[T]:
    """A by-id loader's answer for the id a row holds in a foreign key: the constraint says the row
    exists, although the loader (which also answers ``node(id:)``) allows for none."""
    return cast("Awaitable[T]", pending)


def referenced_all(pending: Awaitable[list[T | None]]) -> Awaitable[list[T]]:
    """``referenced`` for many ids, each held in a foreign key."""
    return cast("Awaitable[list[T]]", pending)


def per_year(load: Callable[[Sequence[K], int], Awaitable[list[V]]]) -> BatchLoad[tuple[K, int], V]:
    """A loader of (item, year) keys over a function of (items, year): one call per year asked for."""
    async def load_keys(keys: Sequence[tuple[K, int]]) -> list[V]:
        answers: list[Any] = [None] * len(keys)
        for year in dict.fromkeys(year for _, year in keys):
            places = [index for index, (_, of_year) in enumerate(keys) if of_year == year]
            for index, answer in zip(places, await load([keys[i][0] for i in places], year), strict=True):
                answers[index] = answer
        return answers
    return load_keys


def row_key(visible: Any) -> Any:
    """Values that pair a row with the viewer's tier (VisibleAlert, VisibleVisit) are keyed by the row."""
    return visible.row.id


def id_key(row: Any) -> Any:
    return row.id


class LoaderSet:
    """The loaders of one request. Domains add theirs as properties over ``_get``."""

    def __init__(self, principal: Principal | None, primed: dict[str, dict[Any, Any]] | None = None) -> None:
        self._principal = principal
        self._made: dict[str, DataLoader[Any, Any]] = {}
        #: Rows already read (the live feed reads once for every subscriber), handed to a loader when it
        #: is first used; most events are rendered once and shared, so most loaders never are.
        self._primed = primed or {}

    def forget(self) -> None:
        """Drop what was loaded: a mutation just changed rows, and what it returns must show them."""
        self._made.clear()

    def _get(self, name: str, load: BatchLoad[K, V], key: Callable[[K], Hashable] | None = None) -> DataLoader[K, V]:
        loader = self._made.get(name)
        if loader is None:
            # A loader holding the set (a bound method of it) would put the request's loaders and every
            # row they hold in a reference cycle, left to the cycle collector: milliseconds per collection.
            assert getattr(load, "__self__", None) is not self, f"{name}: load with a function, not a method"
            loader = self._made[name] = DataLoader(load_fn=load, cache_key_fn=key)
            if name in self._primed:
                loader.prime_many(self._primed[name])
        return loader

    @property
    def _signed_in(self) -> Principal:
        """The request's viewer, whom visibility loaders load for."""
        assert self._principal is not None, "visibility loaders need a signed-in viewer"
        return self._principal

    def _viewer(self, load: Callable[Concatenate[Principal, P], Awaitable[list[V]]]) -> Callable[P, Awaitable[list[V]]]:
        """``load`` for the request's viewer."""
        return partial(load, self._signed_in)
