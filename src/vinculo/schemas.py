"""Conventions shared by every area's API schemas: strict input, cursor pages, problem details."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from vinculo.db import ID_MAX
from vinculo.errors import N_

# An id in a path: a positive 64-bit integer, as the databases keep them.
PathId = Annotated[int, Path(ge=1, le=ID_MAX)]


class Input(BaseModel):
    """Base of every request body: unknown fields are refused, not silently dropped; nor is text
    with a NUL character, which PostgreSQL cannot store."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*")
    @classmethod
    def _refuse_nul(cls, value: Any) -> Any:
        if isinstance(value, str) and "\x00" in value:
            raise ValueError(N_("This field cannot contain a NUL character."))
        return value


class Patch(Input):
    """A partial update: a field left out keeps its value; null is refused unless it means
    something (an end date of null makes a position current)."""

    nullable: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*")
    @classmethod
    def _refuse_null(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None and info.field_name not in cls.nullable:
            raise ValueError(N_("This field cannot be null."))
        return value

    def changes(self) -> dict[str, Any]:
        """The fields the client sent, with their validated values."""
        return {field: getattr(self, field) for field in self.model_fields_set}


class Output(BaseModel):
    """Base of every response body, built from the domain objects the services return."""

    model_config = ConfigDict(from_attributes=True)


class Problem(BaseModel):
    """RFC 9457 problem details, as every error is rendered."""

    type: str = Field(examples=["/problems/not-found"])
    title: str
    status: int
    detail: str
    errors: list[dict[str, Any]] | None = Field(
        default=None, description="For invalid input: one entry per field, with its name."
    )


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem, "content": {"application/problem+json": {}}}
    for status in (400, 401, 403, 404, 409, 422, 429)
}
