"""How routes run: every synchronous route function runs through the request's database
(`Database.run`), on the event loop in a greenlet when the database's statements run there, in a
worker thread otherwise.

Route functions stay plain synchronous code calling the areas' services; only where they run
changes. A FastAPI route written with `def` would otherwise hop to the thread pool, and its
answer would be checked in another hop."""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Coroutine
from functools import partial, wraps
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

from vinculo.errors import N_, InvalidInput
from vinculo.web.deps import database_of

# The parameter through which a wrapped route receives the request, whatever its own are.
_REQUEST = "vinculo_request_"


class UnitRoute(APIRoute):
    """A route whose synchronous function runs through the request's database, and which
    refuses a query parameter given twice: every one is a single value, and taking the last of
    several silently would answer a question nobody asked."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **options: Any) -> None:
        if not inspect.iscoroutinefunction(endpoint):
            endpoint = through_the_database(endpoint)
        super().__init__(path, endpoint, **options)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def once_each(request: Request) -> Response:
            names = [name for name, _ in request.query_params.multi_items()]
            repeated = next((name for name in names if names.count(name) > 1), None)
            if repeated is not None:
                raise InvalidInput.for_field(repeated, N_("Give this parameter once."))
            return await handler(request)

        return once_each


def through_the_database(function: Callable[..., Any]) -> Callable[..., Any]:
    """An async function with `function`'s signature (its annotations resolved, as FastAPI reads
    them) that runs `function` through the request's database. It receives the request through
    `function`'s own request parameter, or one more it declares (FastAPI fills only one)."""
    hints = typing.get_type_hints(function, include_extras=True)
    signature = inspect.signature(function)
    parameters = [
        parameter.replace(annotation=hints.get(name, parameter.annotation))
        for name, parameter in signature.parameters.items()
    ]
    own = next((p.name for p in parameters if p.annotation is Request), None)
    if own is None:
        if _REQUEST in signature.parameters:
            raise TypeError(f"{function.__qualname__} may not have a parameter named {_REQUEST}")
        keyword = inspect.Parameter.KEYWORD_ONLY
        parameters.append(inspect.Parameter(_REQUEST, keyword, annotation=Request))

    @wraps(function)
    async def endpoint(**arguments: Any) -> Any:
        request: Request = arguments[own] if own else arguments.pop(_REQUEST)
        return await database_of(request).run(partial(function, **arguments))

    endpoint.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=parameters, return_annotation=hints.get("return", signature.return_annotation)
    )
    return endpoint
