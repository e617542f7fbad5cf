"""HTML forms: read the posted fields, validate them with the API's own schemas, and say what is
wrong with each field in the reader's language."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from vinculo.errors import N_, VinculoError
from vinculo.web.security import CSRF_FIELD

M = TypeVar("M", bound=BaseModel)
FORM_ERROR = "_form"  # the key of an error about the whole form rather than one field

_MESSAGES: dict[str, str] = {
    "missing": N_("This field is required."),
    "string_too_short": N_("This field is required."),
    "string_too_long": N_("At most %(max_length)s characters."),
    "literal_error": N_("Choose one of the options."),
    "int_parsing": N_("Enter a whole number."),
}


async def _form_fields(request: Request) -> dict[str, str]:
    form = await request.form()
    return {
        key: value for key, value in form.items() if isinstance(value, str) and key != CSRF_FIELD
    }


FormFields = Annotated[dict[str, str], Depends(_form_fields)]


def parse_form(
    model: type[M],
    fields: Mapping[str, str | int],
    *,
    gettext: Callable[[str], str],
    blank_is_null: Iterable[str] = (),
    only: Iterable[str] | None = None,
) -> tuple[M | None, dict[str, str]]:
    """Validate a posted form; the model, or the translated message of every invalid field.

    Empty fields named in `blank_is_null` mean "none" (an end date left empty: still current)."""
    keep = set(only) if only is not None else None
    data: dict[str, Any] = {
        key: (
            None if key in blank_is_null and isinstance(value, str) and not value.strip() else value
        )
        for key, value in fields.items()
        if keep is None or key in keep
    }
    try:
        return model.model_validate(data), {}
    except ValidationError as invalid:
        return None, {_field_of(error): _message_of(error, gettext) for error in invalid.errors()}


def errors_of(error: VinculoError, *, gettext: Callable[[str], str]) -> dict[str, str]:
    """A service's refusal, as messages to show beside the fields it names."""
    if error.errors:
        return {
            field_error.field: _format(gettext(field_error.message), field_error.params)
            for field_error in error.errors
        }
    return {FORM_ERROR: _format(gettext(error.template), error.params)}


def _field_of(error: ErrorDetails) -> str:
    return ".".join(str(part) for part in error["loc"]) or FORM_ERROR


def _message_of(error: ErrorDetails, gettext: Callable[[str], str]) -> str:
    context = error.get("ctx") or {}
    if error["type"] == "value_error" and "error" in context:
        return gettext(str(context["error"]))
    if error["type"] == "string_too_short" and context.get("min_length", 1) > 1:
        return _format(gettext(N_("At least %(min_length)s characters.")), context)
    template = _MESSAGES.get(error["type"], N_("This value is not valid."))
    return _format(gettext(template), context)


def _format(template: str, params: Mapping[str, Any]) -> str:
    return template % params if params and "%(" in template else template
