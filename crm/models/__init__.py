"""SQLAlchemy models, one module per aggregate, re-exported here."""

from crm.models.audit import AuditLog
from crm.models.consent import CONSENT_STATUSES, LEGAL_BASES, PURPOSES, ConsentRecord
from crm.models.ingest import BATCH_STATUSES, REJECTION_KINDS, ImportBatch, ImportRejection
from crm.models.job import JOB_STATUSES, Job
from crm.models.merge import (
    CANDIDATE_STATUSES,
    MERGE_RULES,
    DuplicateCandidate,
    MatchKey,
    Merge,
)
from crm.models.profile import (
    MAX_EMAILS,
    MAX_PHONES,
    MAX_TAGS,
    PROFILE_FIELDS,
    STAGES,
    TAG_MAX,
    Profile,
    ProfileEmail,
    ProfilePhone,
    StageChange,
    Tag,
    profile_tags,
)
from crm.models.source import PARTIES, Source, SourceRecord
from crm.models.state import SystemState
from crm.models.touchpoint import PHASES, Note, Touchpoint
from crm.models.user import ROLES, ApiKey, User, UserSession

__all__ = [
    "BATCH_STATUSES",
    "CANDIDATE_STATUSES",
    "JOB_STATUSES",
    "MERGE_RULES",
    "PHASES",
    "CONSENT_STATUSES",
    "LEGAL_BASES",
    "PARTIES",
    "PROFILE_FIELDS",
    "TAG_MAX",
    "MAX_EMAILS",
    "MAX_PHONES",
    "MAX_TAGS",
    "PURPOSES",
    "REJECTION_KINDS",
    "ROLES",
    "STAGES",
    "ApiKey",
    "AuditLog",
    "ConsentRecord",
    "DuplicateCandidate",
    "Job",
    "MatchKey",
    "Merge",
    "Note",
    "Touchpoint",
    "ImportBatch",
    "ImportRejection",
    "Profile",
    "ProfileEmail",
    "ProfilePhone",
    "Source",
    "SourceRecord",
    "SystemState",
    "StageChange",
    "Tag",
    "User",
    "UserSession",
    "profile_tags",
]
