"""The floor of `benchmarks/http.py`: the least a FastAPI + SQLAlchemy app does for one request on
the product's database, one primary-key SELECT of a member answered as JSON. Every statement on
its own (autocommit), so one request is one round trip.

    VINCULO_DATABASE_URL=postgresql+psycopg://… .venv/bin/python -m uvicorn \
        --app-dir benchmarks/apps floor:create_app --factory --workers 2
"""

from __future__ import annotations

import os

from fastapi import FastAPI, HTTPException
from sqlalchemy import create_engine, text

MEMBER = text("SELECT id, name FROM member WHERE id = :id")


def create_app() -> FastAPI:
    # The product's pool size, so that both serve 16 connections with the same connections.
    engine = create_engine(
        os.environ["VINCULO_DATABASE_URL"],
        isolation_level="AUTOCOMMIT",
        pool_size=10,
        max_overflow=10,
    )
    app = FastAPI(openapi_url=None)
    app.state.engine = engine

    @app.get("/floor/{member_id}")
    def member(member_id: int) -> dict[str, int | str]:
        with engine.connect() as connection:
            row = connection.execute(MEMBER, {"id": member_id}).one_or_none()
        if row is None:
            raise HTTPException(status_code=404)
        return {"id": row.id, "name": row.name}

    return app
