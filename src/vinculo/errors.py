"""The one error hierarchy: each expected failure carries its HTTP status and a stable type.

Messages are English templates with `%(name)s` parameters, marked with `N_` so that the pages can
show them translated; the JSON API returns them in English unless the request's Accept-Language
(or the member's language, where a route knows it) asks for another language we speak.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Self


def N_(message: str) -> str:  # noqa: N802 - the conventional gettext marker name
    """Mark a string for translation without translating it here."""
    return message


@dataclass(frozen=True)
class FieldError:
    """One invalid input field: its name as the client sent it, and what is wrong with it."""

    field: str
    message: str
    params: Mapping[str, Any]

    def english(self) -> str:
        return self.message % self.params if self.params else self.message


class VinculoError(Exception):
    """Base of every expected error; the handler renders it as RFC 9457 problem details."""

    status: ClassVar[int] = 400
    slug: ClassVar[str] = "bad-request"
    title: ClassVar[str] = N_("Bad request")
    default_detail: ClassVar[str] = N_("The request cannot be processed.")
    # Most errors undo the request's writes; a few must keep them (a failed login is recorded).
    keeps_writes: ClassVar[bool] = False

    def __init__(
        self,
        detail: str | None = None,
        /,
        *,
        errors: tuple[FieldError, ...] = (),
        headers: Mapping[str, str] | None = None,
        **params: Any,
    ) -> None:
        self.template = detail or self.default_detail
        self.params = params
        self.errors = errors
        self.headers = dict(headers or {})
        super().__init__(self.detail)

    @classmethod
    def for_field(cls, field: str, message: str | None = None, /, **params: Any) -> Self:
        """This error, about one input field: its name goes with the problem details."""
        error = FieldError(field=field, message=message or cls.default_detail, params=params)
        return cls(f"{field}: {error.english()}", errors=(error,))

    @property
    def detail(self) -> str:
        return self.template % self.params if self.params else self.template

    @property
    def type(self) -> str:
        return problem_type(self.slug)


def problem_type(slug: str) -> str:
    """The problem type URI; relative, so it resolves to this instance's page that explains it."""
    return f"/problems/{slug}"


class InvalidInput(VinculoError):
    status = 422
    slug = "invalid-input"
    title = N_("Invalid input")
    default_detail = N_("Some fields are not valid.")


class NotAuthenticated(VinculoError):
    status = 401
    slug = "not-authenticated"
    title = N_("Not authenticated")
    default_detail = N_("Log in, or send a valid bearer token.")

    def __init__(self, detail: str | None = None, /, **params: Any) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"}, **params)


class InvalidCredentials(VinculoError):
    status = 401
    slug = "invalid-credentials"
    title = N_("Wrong email or password")
    default_detail = N_("The email or the password is not right.")
    keeps_writes = True  # the failed attempt is recorded for throttling


class Forbidden(VinculoError):
    status = 403
    slug = "forbidden"
    title = N_("Forbidden")
    default_detail = N_("You may not do that.")


class CsrfFailed(Forbidden):
    slug = "csrf-failed"
    title = N_("Form expired")
    default_detail = N_(
        "The form was not sent from this site, or it has expired. Reload and try again."
    )


class NotFound(VinculoError):
    status = 404
    slug = "not-found"
    title = N_("Not found")
    default_detail = N_("There is nothing here.")


class Conflict(VinculoError):
    status = 409
    slug = "conflict"
    title = N_("Conflict")
    default_detail = N_("The request conflicts with the current state.")


class TooManyRequests(VinculoError):
    status = 429
    slug = "too-many-requests"
    title = N_("Too many requests")
    default_detail = N_("Too many attempts. Try again in %(minutes)s minutes.")

    def __init__(self, detail: str | None = None, /, *, retry_after: int, **params: Any) -> None:
        self.retry_after = max(1, retry_after)
        params.setdefault("minutes", max(1, -(-self.retry_after // 60)))
        super().__init__(detail, headers={"Retry-After": str(self.retry_after)}, **params)


class Unavailable(VinculoError):
    """The database (or another service the answer needs) did not answer in time, or refused:
    nothing was changed, and the same request may simply be sent again."""

    status = 503
    slug = "unavailable"
    title = N_("Temporarily unavailable")
    default_detail = N_("The service cannot answer right now. Try again in a few seconds.")

    def __init__(
        self, detail: str | None = None, /, *, retry_after: int = 5, **params: Any
    ) -> None:
        self.retry_after = max(1, retry_after)
        super().__init__(detail, headers={"Retry-After": str(self.retry_after)}, **params)


class TooLarge(VinculoError):
    status = 413
    slug = "too-large"
    title = N_("Request too large")
    default_detail = N_("The request's body is larger than the %(limit)s bytes allowed.")


def registered_errors() -> dict[str, type[VinculoError]]:
    """Every error class by slug, for the pages that explain problem types."""
    found: dict[str, type[VinculoError]] = {}
    stack: list[type[VinculoError]] = [VinculoError]
    while stack:
        cls = stack.pop()
        found.setdefault(cls.slug, cls)
        stack.extend(cls.__subclasses__())
    return found
