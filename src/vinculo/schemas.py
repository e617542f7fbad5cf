"""Conventions shared by every area's API schemas: strict input, cursor pages, problem details."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any, ClassVar

from annotated_types import GroupedMetadata
from fastapi import Path, Query
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    StringConstraints,
    ValidationInfo,
    field_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError

from vinculo.db import ID_MAX
from vinculo.errors import N_
from vinculo.text import BLANK_LETTERS, control_ranges, line_text_problem, tidy


def _digits_only(value: Any) -> Any:
    """An id in a path is written in digits: not `1.0`, `+1` or ` 1`."""
    if isinstance(value, str) and not (value.isascii() and value.isdigit()):
        raise PydanticCustomError(
            "int_parsing", "Input should be a valid integer, unable to parse string as an integer"
        )
    return value


# An id in a path: a positive 64-bit integer, as the databases keep them, in digits.
PathId = Annotated[int, Path(ge=1, le=ID_MAX), BeforeValidator(_digits_only)]
# An id in a body: a JSON integer, never `true`, `"1"` or `1.0` taken for member 1.
BodyId = Annotated[int, Field(ge=1, le=ID_MAX, strict=True)]
# A list's cursor in a query: a list's own `next_cursor`, never empty (422 naming it, as for
# any cursor that is not one of ours).
Cursor = Annotated[
    str | None,
    Query(
        min_length=1,
        description="The `next_cursor` of the previous page; leave it out for the first.",
    ),
]

_LINE_TEXT_MESSAGES = {
    "control": N_("This field cannot contain control or invisible formatting characters."),
    "blank": N_("This field needs at least one visible character."),
}


def _line_text(value: str) -> str:
    problem = line_text_problem(value)
    if problem is not None:
        raise ValueError(_LINE_TEXT_MESSAGES[problem])
    return tidy(value)


@dataclass(frozen=True)
class LineText(GroupedMetadata):
    """A one-line text a person shows others (a name, headline, organization, school): NFC,
    spacing tidied, no control or invisible formatting characters, at most `max_length`
    characters; `Annotated[str, LineText(80, required=True)]`."""

    max_length: int
    required: bool = False

    def __iter__(self) -> Iterator[object]:
        yield StringConstraints(
            strip_whitespace=True, min_length=int(self.required), max_length=self.max_length
        )
        yield AfterValidator(_line_text)
        # The length as sent, as documented, checked first (a validator given last runs first):
        # spaces stripped later do not make a long text fit.
        yield BeforeValidator(_at_most(self.max_length))
        yield _LineTextPattern(required=self.required)


def _at_most(max_length: int) -> Any:
    def check(value: Any) -> Any:
        if isinstance(value, str) and len(value) > max_length:
            raise PydanticCustomError(
                "string_too_long",
                "String should have at most {max_length} characters",
                {"max_length": max_length},
            )
        return value

    return check


@dataclass(frozen=True)
class _LineTextPattern:
    """Documents what a line text refuses as a pattern (a little stricter than the server, which
    also lets a joiner stand inside a word), so that clients and generated tests can tell."""

    required: bool

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        documented = handler(schema)
        documented["pattern"] = _line_text_pattern(required=self.required)
        return documented


@cache
def _line_text_pattern(*, required: bool) -> str:
    def escaped(char: str) -> str:
        # Astral characters as themselves: \\U is Python's and \\u{} ECMAScript's.
        return f"\\u{ord(char):04x}" if ord(char) <= 0xFFFF else char

    control = "".join(
        escaped(first) if first == last else f"{escaped(first)}-{escaped(last)}"
        for first, last in control_ranges()
    )
    blank = "".join(escaped(char) for char in BLANK_LETTERS)
    # What the server strips from both ends before it looks (Unicode's White_Space: Python's
    # spaces but the four separators U+001C–U+001F), so a text with any of them around it is
    # not refused.
    stripped = "".join(
        escaped(chr(code))
        for code in range(0x3001)
        if chr(code).isspace() and not 0x1C <= code <= 0x1F
    )
    shown = f"[^{control}]*[^{control}\\s{blank}][^{control}]*"
    around = f"[{stripped}]*"
    if required:
        return f"^{around}{shown}{around}$"
    return f"^{around}(?:{shown})?{around}$"


_NO_NUL = "^[^\\u0000]*$"
_SOME_TEXT = "^[^\\u0000]*[^\\u0000\\s][^\\u0000]*$"


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

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """Documented as the server takes it: text without NUL (and, where it is required, with
        something besides spaces), and null only where a field says it means something."""
        documented = handler(schema)
        for name, field in handler.resolve_ref_schema(documented).get("properties", {}).items():
            cls._document_field(name, field)
        return documented

    @classmethod
    def _document_field(cls, name: str, field: dict[str, Any]) -> None:
        for branch in field.get("anyOf", [field]):
            if branch.get("type") == "string" and not {"pattern", "enum", "format"} & set(branch):
                # A required text (minLength 1) is taken stripped: spaces alone are empty.
                branch["pattern"] = _SOME_TEXT if branch.get("minLength") == 1 else _NO_NUL


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

    @classmethod
    def _document_field(cls, name: str, field: dict[str, Any]) -> None:
        if name not in cls.nullable and "anyOf" in field:
            kept = [branch for branch in field["anyOf"] if branch != {"type": "null"}]
            if len(kept) == 1:
                del field["anyOf"]
                field.update(kept[0])
            else:
                field["anyOf"] = kept
        super()._document_field(name, field)

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


def exact_bounds(document: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI document with its integer bounds as integers: FastAPI writes them as floats,
    and the largest id (2**63 - 1) as a float is 2**63, one more than the databases hold."""
    for key, value in list(document.items()):
        if key in {"minimum", "maximum"} and isinstance(value, float) and value.is_integer():
            document[key] = ID_MAX if value == float(ID_MAX) else int(value)
        elif isinstance(value, dict):
            exact_bounds(value)
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, dict):
                    exact_bounds(item)
    return document


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem, "content": {"application/problem+json": {}}}
    for status in (400, 401, 403, 404, 409, 422, 429)
}
