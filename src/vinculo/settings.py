"""The one place configuration is read: environment variables prefixed `VINCULO_`."""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache
from typing import Literal

from limits import parse_many
from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT_SECRET_KEY = "development-only-secret-key-change-me"  # noqa: S105 - refused outside development


class Settings(BaseSettings):
    """Every setting has a default that is right for one machine running the demo."""

    model_config = SettingsConfigDict(env_prefix="VINCULO_", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = "sqlite:///./vinculo.db"
    secret_key: str = DEVELOPMENT_SECRET_KEY
    # Cookies marked Secure are dropped by browsers over plain http, so only production sets it.
    secure_cookies: bool = False
    default_locale: Literal["es", "en"] = "en"
    # Every wait on the database is bounded; one that runs out is answered 503 with Retry-After.
    # Seconds a SQLite writer waits for the write lock.
    sqlite_busy_timeout: float = Field(default=5.0, gt=0)
    database_pool_size: int = Field(default=10, ge=1)
    # Seconds a request has to begin its answer; past them it is answered 503.
    request_deadline: float = Field(default=10.0, gt=0)
    # The largest request body, in bytes (413 beyond).
    max_request_bytes: int = Field(default=1024 * 1024, ge=1024)
    # The largest profile photo a member may upload, in bytes (413 beyond); only the routes that
    # take a photo allow a body this large.
    max_photo_bytes: int = Field(default=5 * 1024 * 1024, ge=1024)
    # Fair use, per client (a bearer token, a session, else an address): requests a window (in
    # the `limits` notation), requests served at once by one process, and how long the others
    # wait for their turn. Stricter limits per address for registering and logging in, and for
    # registering per network block (an IPv4 /24, an IPv6 /48) too.
    rate_limit: str = "30/second;1000/minute"
    requests_at_once: int = Field(default=4, ge=1)
    turn_wait: float = Field(default=3.0, gt=0)
    registration_rate_limit: str = "10/hour"
    registration_network_rate_limit: str = "30/hour;100/day"
    login_rate_limit: str = "20/minute"
    # Redis, when the processes should share their fair-use counters through it (else each
    # process counts its own, and the stricter limits are counted in the database).
    redis_url: str | None = None
    # What this community's keys in Redis start with (several can share one Redis).
    redis_prefix: str = "vinculo"
    # Seconds a request waits for a connection from the pool.
    database_pool_timeout: float = Field(default=2.0, gt=0)
    # On PostgreSQL: the longest statement, the longest wait for a lock, and for a connection.
    database_statement_timeout: float = Field(default=5.0, ge=0)
    database_lock_timeout: float = Field(default=3.0, ge=0)
    database_connect_timeout: float = Field(default=3.0, gt=0)

    # Email. Links in mails start with `public_url`, the address members reach the site at. With
    # no `smtp_host` every mail is written as an .eml file in `mail_dir` (and shown on the console)
    # instead of being sent: the demo's and development's way, never production's.
    public_url: str = "http://127.0.0.1:8000"
    mail_from: str = "Vínculo <no-reply@vinculo.invalid>"
    mail_dir: str = "mail"
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: str | None = None
    # starttls: upgrade a plain connection (port 587); tls: TLS from the start (465); none: a
    # relay on the same machine or network only.
    smtp_security: Literal["starttls", "tls", "none"] = "starttls"
    smtp_timeout: float = Field(default=10.0, gt=0)
    # How often the sender looks for mail to send, and how many times it tries one mail (waiting
    # longer after each failure) before giving up on it.
    mail_poll_seconds: float = Field(default=1.0, gt=0)
    mail_attempts: int = Field(default=8, ge=1)
    # Days a sent (or given up) mail stays in the outbox, for the member's export and the
    # operators' questions, before the worker deletes it.
    mail_keep_days: int = Field(default=30, ge=1)

    # Identity
    session_idle_days: int = Field(default=14, ge=1)
    # However often they are used, page sessions and API tokens end this many days after they
    # began (a token may ask for a shorter life, never a longer one).
    session_lifetime_days: int = Field(default=90, ge=1, le=36500)
    token_lifetime_days: int = Field(default=90, ge=1, le=36500)
    session_touch_minutes: int = Field(default=60, ge=1)
    login_window_minutes: int = Field(default=15, ge=1)
    login_failures_per_account: int = Field(default=5, ge=1)
    login_failures_per_address: int = Field(default=30, ge=1)
    # A closed account is erased this many days after it was closed, unless the member logs in
    # again before (which reopens it).
    account_erase_days: int = Field(default=14, ge=1, le=3650)
    # The least zxcvbn score (0 to 4) a new password needs; 3 means "safely unguessable": beyond
    # about 10^8 guesses, out of reach of online guessing and slow against an argon2id hash.
    password_min_score: int = Field(default=3, ge=0, le=4)
    argon2_time_cost: int = Field(default=3, ge=1)
    argon2_memory_kib: int = Field(default=65536, ge=8)
    argon2_parallelism: int = Field(default=4, ge=1)

    # Network policies (see PRODUCT.md)
    invitation_days: int = Field(default=14, ge=1)
    invitation_reminder_days: int = Field(default=7, ge=1)
    reinvite_cooldown_days: int = Field(default=21, ge=0)
    invitations_per_week: int = Field(default=100, ge=1)
    invitations_per_week_low_acceptance: int = Field(default=20, ge=1)
    low_acceptance_rate: float = Field(default=0.30, ge=0, le=1)
    low_acceptance_min_answered: int = Field(default=20, ge=1)
    reports_to_restrict: int = Field(default=5, ge=1)
    report_window_days: int = Field(default=90, ge=1)
    max_connections: int = Field(default=30000, ge=1)
    # Whether a member must confirm their email address before inviting anyone (by default
    # confirming is a mark others see, not a gate).
    require_confirmed_email_to_invite: bool = False
    # Whether `vinculo serve` runs the scheduled jobs (`vinculo worker`) beside the web
    # processes; turn it off when the worker runs apart.
    serve_jobs: bool = True
    # How often the worker expires invitations, sends reminders and looks whether the reranker
    # is due.
    sweep_interval_seconds: float = Field(default=60.0, ge=0)
    # A folder where the processes of one machine share the graph index (each maps the same
    # saved snapshot, then follows the log on its own). `vinculo serve` makes one for its run
    # when none is set.
    graph_snapshot_dir: str | None = None
    # How often a process polls the connection change log to keep its graph index in step (on
    # PostgreSQL notifications wake it up sooner).
    graph_poll_seconds: float = Field(default=0.5, gt=0)
    # How old the careers and profiles behind suggestions may grow before a background rebuild.
    suggestion_profiles_max_age_seconds: float = Field(default=60.0, ge=0)
    # How often the worker fits the reranker of suggestions again on the community's network.
    suggestion_refit_seconds: float = Field(default=6 * 3600.0, gt=0)

    def key_for(self, purpose: bytes) -> bytes:
        """A key of its own for one use of the secret key (two-factor secrets, unsubscribe
        addresses), so that no two uses share one."""
        return hmac.new(self.secret_key.encode(), purpose, hashlib.sha256).digest()

    @field_validator(
        "rate_limit",
        "registration_rate_limit",
        "registration_network_rate_limit",
        "login_rate_limit",
    )
    @classmethod
    def _rate(cls, value: str) -> str:
        try:
            parse_many(value)
        except ValueError as invalid:
            raise ValueError(
                f"not a rate limit such as 30/second;1000/minute: {value!r}"
            ) from invalid
        return value

    @model_validator(mode="after")
    def _refuse_default_secrets(self) -> Settings:
        if self.environment != "development" and (
            self.secret_key == DEVELOPMENT_SECRET_KEY or len(self.secret_key) < 32
        ):
            raise ValueError(
                "VINCULO_SECRET_KEY must be a random value of at least 32 characters "
                f"outside development (environment is {self.environment!r})"
            )
        if self.environment == "production" and not self.public_url.startswith("https://"):
            raise ValueError("VINCULO_PUBLIC_URL must be an https:// address in production")
        if self.environment == "production" and not self.secure_cookies:
            raise ValueError("VINCULO_SECURE_COOKIES must be true in production (serve over https)")
        return self


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
