"""API: manual merges of profiles, their undo, and the merge history of a profile."""

from flask.views import MethodView
from flask_login import current_user

from crm.schemas.merges import MergeIn, MergePage, MergeResultOut, UndoArgs, UndoOut
from crm.schemas.profiles import IfMatchArgs
from crm.security import ALL_ROLES, roles
from crm.services import duplicates, merging, profiles
from crm.services.errors import ConflictError
from crm.views.api.common import Blueprint, error_responses, service_errors
from crm.views.api.profiles import expected_version, get_profile_or_404, precondition_failed

blp = Blueprint("api_merges", __name__, description="Merges of profiles and their undo")
URL_PREFIX = ""


@blp.route("/profiles/<int:profile_id>/merge")
class ProfileMerge(MethodView):
    """Merge another profile into this one."""

    @roles("admin", "sales")
    @blp.arguments(IfMatchArgs, location="headers")
    @blp.arguments(MergeIn)
    @blp.response(201, MergeResultOut)
    @error_responses(blp, 401, 403, 404, 409, 412, 422)
    def post(self, headers: dict, data: dict, profile_id: int):
        """Merge `other_id` into this profile, which survives; the merge can be undone. A pair
        marked as different people is merged only with `confirm_distinct`. A stale If-Match
        (this profile) gets 412, a stale `other_version` 409; neither merges anything."""
        reasons = [data["reason"].strip()] if data.get("reason", "").strip() else []
        version = expected_version(
            headers.get("if_match"), get_profile_or_404(profile_id), "nothing was merged"
        )
        versions = {data["other_id"]: data["other_version"]} if "other_version" in data else {}
        if version is not None:
            versions[profile_id] = version
        with service_errors():
            try:
                merge = duplicates.merge_and_weigh_again(
                    profile_id,
                    data["other_id"],
                    actor=current_user,
                    rule="manual",
                    reasons=reasons,
                    overrule_distinct=data["confirm_distinct"],
                    versions=versions,
                )
            except ConflictError as exc:
                # The survivor changed between our check and the locked one: a stale ETag.
                if version is not None and "version" in exc.fields:
                    precondition_failed(undone="nothing was merged")
                raise
        return {
            "merge_id": merge.id,
            "survivor_id": merge.survivor_id,
            "merged_id": merge.merged_id,
        }


@blp.route("/profiles/<int:profile_id>/merges")
class ProfileMerges(MethodView):
    """The merges into a profile."""

    @ALL_ROLES
    @blp.response(200, MergePage)
    @error_responses(blp, 401, 403, 404)
    def get(self, profile_id: int):
        """Every merge into this profile, newest first, undone ones included."""
        with service_errors():
            profiles.get_profile(profile_id)
        return {"items": [m for m, *_ in merging.merge_history(profile_id)], "next": None}


@blp.route("/merges/<int:merge_id>/undo")
class MergeUndo(MethodView):
    """Undo a merge."""

    @roles("admin", "sales")
    @blp.arguments(UndoArgs, location="query")
    @blp.response(200, UndoOut)
    @error_responses(blp, 401, 403, 404, 409, 422)
    def post(self, args: dict, merge_id: int):
        """Separate the two profiles again and mark them as different people. Later merges
        into the survivor must be undone first, or with `?with_later=true` along with it
        (their pairs reopened for review)."""
        with service_errors():
            survivor, restored = merging.undo_merge(
                merge_id, actor=current_user, with_later=args["with_later"]
            )
        return {"survivor_id": survivor.id, "restored_id": restored.id}
