"""Pages of the site as a whole: the explanations of problem types, the API reference, and the
health check."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from vinculo.db import ping
from vinculo.errors import registered_errors
from vinculo.network.index import GRAPH_INDEX
from vinculo.web.deps import AnyPage, database_of
from vinculo.web.problems import DATABASE_UNAVAILABLE, HTTP_PROBLEMS
from vinculo.web.routing import UnitRoute
from vinculo.web.security import csrf_protect

READY_WITHIN = 1.0  # seconds the database has to answer a readiness check

router = APIRouter(
    route_class=UnitRoute, dependencies=[Depends(csrf_protect)], include_in_schema=False
)


@router.get("/problems/{slug}")
def problem_type(slug: str, page: AnyPage) -> Response:
    """What a problem `type` in an API error means; the URI in the error leads here."""
    known = {
        cls.slug: (cls.status, cls.title, cls.default_detail)
        for cls in registered_errors().values()
    }
    for status, (http_slug, title) in HTTP_PROBLEMS.items():
        known.setdefault(http_slug, (status, title, title))
    if slug not in known:
        return page.render(
            "error.html",
            status_code=404,
            status=404,
            title=page.gettext("Not found"),
            detail=page.gettext("There is nothing here."),
        )
    status, title, detail = known[slug]
    return page.render("problem_type.html", slug=slug, status=status, title=title, detail=detail)


@router.get("/api/docs")
def api_reference(page: AnyPage, request: Request) -> Response:
    """The API reference, rendered on the server from the OpenAPI document."""
    spec = request.app.openapi()
    return page.render("api_docs.html", operations=_operations(spec), spec=spec)


@router.get("/healthz/live")
async def liveness() -> JSONResponse:
    """For the process manager: the process answers (it may not be ready to serve yet)."""
    return JSONResponse({"status": "ok"})


@router.get("/healthz")
@router.get("/healthz/ready")
async def readiness(request: Request) -> JSONResponse:
    """For load balancers: whether this process can serve, and if not what it waits for: the
    database answering within a second, the graph index built."""
    database = database_of(request)
    try:
        await asyncio.wait_for(database.run(ping, database), READY_WITHIN)
        reachable = True
    except (TimeoutError, *DATABASE_UNAVAILABLE):
        reachable = False
    index = database.provided(GRAPH_INDEX)
    graph_ready = index is not None and index.ready
    body = {
        "status": "ok" if reachable and graph_ready else "unavailable",
        "database": "ok" if reachable else "unavailable",
        "graph_index": "ready" if graph_ready else "loading",
    }
    if body["status"] == "ok":
        return JSONResponse(body)
    return JSONResponse(body, status_code=503, headers={"Retry-After": "5"})


def _operations(spec: dict[str, Any]) -> list[dict[str, Any]]:
    operations = []
    for path, methods in spec.get("paths", {}).items():
        for method, operation in methods.items():
            body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
            operations.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "tag": (operation.get("tags") or ["other"])[0],
                    "summary": operation.get("summary", ""),
                    "description": operation.get("description", ""),
                    "parameters": operation.get("parameters", []),
                    "body": _schema_name(body.get("schema", {})),
                    "responses": sorted(operation.get("responses", {}).keys()),
                    "secured": bool(operation.get("security")),
                }
            )
    return sorted(
        operations, key=lambda operation: (operation["tag"], operation["path"], operation["method"])
    )


def _schema_name(schema: dict[str, Any]) -> str:
    reference = schema.get("$ref", "")
    return str(reference.rsplit("/", 1)[-1]) if reference else ""
