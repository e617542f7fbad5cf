"""Every table, imported in one place so that the metadata (and Alembic) sees the whole schema."""

from vinculo.db import Base
from vinculo.identity.models import AuthSession, LoginFailure, Member
from vinculo.network.models import (
    Block,
    Connection,
    ConnectionChange,
    Invitation,
    NetworkSettings,
    Notification,
)
from vinculo.profiles.models import Education, Organization, Position, School
from vinculo.suggestions.models import SuggestionDismissal

__all__ = [
    "AuthSession",
    "Base",
    "Block",
    "Connection",
    "ConnectionChange",
    "Education",
    "Invitation",
    "LoginFailure",
    "Member",
    "NetworkSettings",
    "Notification",
    "Organization",
    "Position",
    "School",
    "SuggestionDismissal",
]
