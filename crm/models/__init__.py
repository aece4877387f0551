"""SQLAlchemy models, one module per aggregate, re-exported here."""

from crm.models.audit import AuditLog
from crm.models.consent import CONSENT_STATUSES, LEGAL_BASES, PURPOSES, ConsentRecord
from crm.models.ingest import BATCH_STATUSES, REJECTION_KINDS, ImportBatch, ImportRejection
from crm.models.profile import (
    PROFILE_FIELDS,
    STAGES,
    Profile,
    ProfileEmail,
    ProfilePhone,
    StageChange,
    Tag,
    profile_tags,
)
from crm.models.source import PARTIES, Source, SourceRecord
from crm.models.user import ROLES, ApiKey, User, UserSession

__all__ = [
    "BATCH_STATUSES",
    "CONSENT_STATUSES",
    "LEGAL_BASES",
    "PARTIES",
    "PROFILE_FIELDS",
    "PURPOSES",
    "REJECTION_KINDS",
    "ROLES",
    "STAGES",
    "ApiKey",
    "AuditLog",
    "ConsentRecord",
    "ImportBatch",
    "ImportRejection",
    "Profile",
    "ProfileEmail",
    "ProfilePhone",
    "Source",
    "SourceRecord",
    "StageChange",
    "Tag",
    "User",
    "UserSession",
    "profile_tags",
]
