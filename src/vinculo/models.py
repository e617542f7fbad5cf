"""Every table, imported in one place so that the metadata (and Alembic) sees the whole schema."""

from vinculo.account.models import ClosedAccountConnection
from vinculo.db import Base
from vinculo.groups.models import Group, GroupMember
from vinculo.identity.models import AccountLink, AuthSession, LoginFailure, Member
from vinculo.introductions.models import Introduction
from vinculo.invitations.models import Invitation
from vinculo.mail.models import MailPreference, OutboxMail
from vinculo.network.models import Connection, ConnectionChange
from vinculo.notifications.models import Notification
from vinculo.photos.models import MemberPhoto
from vinculo.posts.models import Comment, Post, PostReport, Reaction
from vinculo.privacy.models import Block, PrivacySettings
from vinculo.profiles.models import Education, Organization, Position, School
from vinculo.search.models import SearchDocument, SearchPlace, SearchVariant
from vinculo.security.models import SecurityEvent
from vinculo.suggestions.models import SuggestionDismissal, SuggestionReranker
from vinculo.throttling.models import RequestCounter

__all__ = [
    "AccountLink",
    "AuthSession",
    "Base",
    "Block",
    "ClosedAccountConnection",
    "Comment",
    "Connection",
    "ConnectionChange",
    "Education",
    "Group",
    "GroupMember",
    "Introduction",
    "Invitation",
    "LoginFailure",
    "MailPreference",
    "Member",
    "MemberPhoto",
    "Notification",
    "Organization",
    "OutboxMail",
    "Position",
    "Post",
    "PostReport",
    "PrivacySettings",
    "Reaction",
    "RequestCounter",
    "School",
    "SearchDocument",
    "SearchPlace",
    "SearchVariant",
    "SecurityEvent",
    "SuggestionDismissal",
    "SuggestionReranker",
]
