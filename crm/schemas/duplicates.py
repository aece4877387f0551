"""Schemas of the review-queue API: the open pairs, their filter, a reviewer's decision."""

from marshmallow import Schema, fields, validate

from crm.schemas.common import CursorArgs, StrictInput, page_of
from crm.services.duplicates import DECISIONS, SURVIVORS


class QueueArgs(CursorArgs):
    """Which open pairs to list (all filters optional) and which page."""

    mine = fields.Boolean(
        load_default=False,
        metadata={"description": "Only pairs with a profile owned by the key's user"},
    )
    source = fields.String(
        validate=validate.Length(min=1, max=64),
        metadata={"description": "Only pairs with a profile holding a record of this source"},
    )
    min_score = fields.Float(
        validate=validate.Range(min=0, max=1),
        metadata={"description": "Only pairs scored at least this"},
    )


class PairOut(Schema):
    """One suspected pair: its two profiles, score and reasons, and its state."""

    id = fields.Integer(required=True)
    a = fields.Integer(attribute="profile_a_id", required=True)
    b = fields.Integer(attribute="profile_b_id", required=True)
    score = fields.Float(required=True)
    reasons = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "The evidence, in English (the web UI translates it)"},
    )
    status = fields.String(required=True, validate=validate.OneOf(("open", "merged", "distinct")))
    decided_at = fields.AwareDateTime(allow_none=True)


class PairDetailOut(PairOut):
    """One pair, and for a merged one the merge (to undo with POST /merges/{id}/undo)."""

    merge_id = fields.Integer(allow_none=True, required=True)
    stale = fields.Boolean(
        required=True,
        metadata={
            "description": "An open pair one of whose profiles was merged into another "
            "since it was proposed: it is no longer in the queue and cannot be merged"
        },
    )


class DecisionIn(StrictInput):
    """A reviewer's decision on a pair."""

    decision = fields.String(
        required=True,
        validate=validate.OneOf(DECISIONS),
        metadata={"description": "'merge', or 'distinct': never proposed again"},
    )
    survivor = fields.String(
        load_default="a",
        validate=validate.OneOf(SURVIVORS),
        metadata={"description": "On a merge, which side survives ('a' or 'b')"},
    )
    a_version = fields.Integer(
        strict=True,
        validate=validate.Range(min=1),
        metadata={
            "description": "The version (ETag) of profile a you compared; if it changed "
            "since, a merge is refused (409) and the pair stays open"
        },
    )
    b_version = fields.Integer(
        strict=True,
        validate=validate.Range(min=1),
        metadata={"description": "The same for profile b"},
    )


class DecisionOut(Schema):
    """The pair as decided, and the merge made (null for 'distinct'); undo it with
    POST /api/v1/merges/{merge_id}/undo."""

    pair = fields.Nested(PairOut, required=True)
    merge_id = fields.Integer(allow_none=True, required=True)


PairPage = page_of(PairOut, "PairPage")
