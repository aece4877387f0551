"""Schemas of the merges API: a manual merge request, its result, undo, and merge history."""

from marshmallow import Schema, fields, validate

from crm.models import MERGE_RULES
from crm.schemas.common import StrictInput, id_field, page_of


class MergeIn(StrictInput):
    """Merge another profile into the one in the path (which survives)."""

    other_id = id_field("Id of the profile to merge into this one (it is absorbed)", required=True)
    reason = fields.String(
        validate=validate.Length(max=500),
        metadata={"description": "Why they are the same person; kept in the merge history"},
    )
    other_version = fields.Integer(
        strict=True,
        validate=validate.Range(min=1),
        metadata={
            "description": "The version (ETag) of the other profile you read; if it changed "
            "since, nothing is merged (409). The If-Match header does the same for the "
            "profile in the path (412)"
        },
    )
    confirm_distinct = fields.Boolean(
        load_default=False,
        metadata={
            "description": "The two (or profiles merged into them) were marked as different "
            "people and you overrule that decision; without it such a merge is refused (409)"
        },
    )


class MergeResultOut(Schema):
    """The merge just made."""

    merge_id = fields.Integer(required=True)
    survivor_id = fields.Integer(required=True)
    merged_id = fields.Integer(required=True)


class UndoArgs(Schema):
    """How an undo treats the later merges that build on the one undone."""

    with_later = fields.Boolean(
        load_default=False,
        metadata={
            "description": "Also undo, newest first, the later merges into the survivor that "
            "build on this one (without it such an undo is refused, 409); their pairs go "
            "back to the review queue, open, instead of being marked as different people"
        },
    )


class UndoOut(Schema):
    """The two profiles separated again by an undo."""

    survivor_id = fields.Integer(required=True)
    restored_id = fields.Integer(required=True)


class MergeOut(Schema):
    """One merge into a profile: which one, by whom or which rule, why, and whether undone."""

    id = fields.Integer(required=True)
    survivor_id = fields.Integer(required=True)
    merged_id = fields.Integer(required=True)
    rule = fields.String(required=True, validate=validate.OneOf(MERGE_RULES))
    score = fields.Float(allow_none=True)
    reasons = fields.List(fields.String(), required=True)
    actor = fields.String(
        attribute="actor_label",
        required=True,
        metadata={
            "description": "Who decided it: 'user:<id>' for a person's merge (rule manual or "
            "review); for an automatic one (rule auto, the importer's scorer, with its score "
            "and reasons) the import that made it, 'import:<source>' (or 'import' when not "
            "known), never the user who ran the import"
        },
    )
    batch_id = fields.String(
        allow_none=True,
        required=True,
        metadata={
            "description": "The import batch an automatic merge was made for (its report "
            "is at /imports/batches/<batch_id> on the web); null for a person's merge"
        },
    )
    created_at = fields.AwareDateTime(required=True)
    undone_at = fields.AwareDateTime(allow_none=True)
    undone_by_user_id = fields.Integer(
        attribute="undone_by_id",
        allow_none=True,
        metadata={"description": "The user who undid it, when a user did"},
    )


MergePage = page_of(MergeOut, "MergePage")
