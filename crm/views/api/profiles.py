"""API: unified profiles — search, read, create, edit with ETag / If-Match."""

from flask import url_for
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import abort
from werkzeug.http import parse_etags

from crm.schemas.profiles import (
    CreateArgs,
    IfMatchArgs,
    ProfileConflictOut,
    ProfileCreatedOut,
    ProfileIn,
    ProfileOut,
    ProfilePage,
    ProfilePatch,
    ProfileQueryArgs,
)
from crm.security import ALL_ROLES, roles
from crm.services import profiles
from crm.services.errors import ConflictError, NotFoundError
from crm.views.api.common import Blueprint, error_responses, service_errors

blp = Blueprint("api_profiles", __name__, description="Unified profiles")
URL_PREFIX = "/profiles"
ETAG_HEADER = {"ETag": {"description": "Version of the profile", "schema": {"type": "string"}}}


def etag(version: int) -> str:
    """The ETag of a profile version (weak: consents can change without a new version)."""
    return f'W/"{version}"'


def get_profile_or_404(profile_id: int):
    """The profile with this id, or a JSON 404."""
    try:
        return profiles.get_profile(profile_id)
    except NotFoundError as exc:
        abort(404, message=exc.message)


def expected_version(
    if_match: str | None, profile, undone: str = "nothing was saved"
) -> int | None:
    """The version an If-Match header vouches for; None when absent or '*'. 412 if stale
    (undone: what the reply says was not done), 422 if it holds no profile's ETag."""
    if not if_match:
        return None
    tags = parse_etags(if_match)
    if tags.star_tag:
        return None
    if not any(tag.isdigit() for tag in tags.as_set(include_weak=True)):
        # Not an ETag this API gives: a mistake in the client, not a profile changed since.
        abort(
            422,
            message="The If-Match header holds no ETag of a profile; nothing was saved.",
            errors={"headers": {"If-Match": [f"Send the ETag a read gave, e.g. {etag(1)}."]}},
        )
    if tags.contains_weak(str(profile.version)):
        return profile.version
    precondition_failed(profile.version, undone)


def precondition_failed(current: int | None = None, undone: str = "nothing was saved"):
    """Abort with 412: the client's ETag is stale, and nothing was done (undone says what);
    the reply carries the current ETag when it is known."""
    detail = f"Current ETag is {etag(current)}." if current else "The profile changed meanwhile."
    abort(
        412,
        message=f"The profile changed since you read it; {undone}. Read it again.",
        errors={"headers": {"If-Match": [detail]}},
        **({"headers": {"ETag": etag(current)}} if current else {}),
    )


def _one(profile, status: int = 200, headers: dict | None = None):
    """A single-profile reply carrying its ETag."""
    (document,) = profiles.profile_documents([profile])
    return document, status, {"ETag": etag(profile.version), **(headers or {})}


@blp.route("")
class ProfileList(MethodView):
    """Search and create profiles."""

    @ALL_ROLES
    @blp.arguments(ProfileQueryArgs, location="query")
    @blp.response(200, ProfilePage)
    @error_responses(blp, 401, 403)
    def get(self, args):
        """Search by name, email, phone or company; newest first, cursor-paged."""
        after = int(args["cursor"]) if args.get("cursor") else None
        rows, next_id = profiles.search_profiles(args["q"], after=after, limit=args["limit"])
        items = profiles.profile_documents(rows)
        return {"items": items, "next": str(next_id) if next_id is not None else None}

    @roles("admin", "sales")
    @blp.arguments(CreateArgs, location="query")
    @blp.arguments(ProfileIn)
    @blp.response(201, ProfileCreatedOut, headers=ETAG_HEADER)
    @error_responses(blp, 401, 403, 409, 422, schemas={409: ProfileConflictOut})
    def post(self, args, data):
        """Create a profile by hand; it gets a 'manual' source record. It is weighed against
        the people already here: likely duplicates go to the review queue (review_pairs of
        the reply), or with on_duplicate=refuse nothing is saved and they are listed (409,
        details.duplicates)."""
        with service_errors():
            profile = profiles.create_profile(
                data, actor=current_user, on_duplicate=args["on_duplicate"]
            )
        location = url_for("api_profiles.ProfileDetail", profile_id=profile.id)
        headers = {"ETag": etag(profile.version), "Location": location}
        return profiles.created_document(profile), 201, headers


@blp.route("/<int:profile_id>")
class ProfileDetail(MethodView):
    """Read and edit one profile."""

    @ALL_ROLES
    @blp.response(200, ProfileOut, headers=ETAG_HEADER)
    @error_responses(blp, 401, 403, 404)
    def get(self, profile_id: int):
        """Read a profile; the ETag header carries its version."""
        return _one(get_profile_or_404(profile_id))

    @roles("admin", "sales")
    @blp.arguments(IfMatchArgs, location="headers")
    @blp.arguments(ProfilePatch, required=False)  # no body: nothing changes, as with {}
    @blp.response(200, ProfileOut, headers=ETAG_HEADER)
    @error_responses(blp, 401, 403, 404, 409, 412, 422)
    def patch(self, headers: dict, data: dict, profile_id: int):
        """Change fields, stage, tags or owner; a stale If-Match gets 412 and saves nothing."""
        version = expected_version(headers.get("if_match"), get_profile_or_404(profile_id))
        with service_errors():
            try:
                profile = profiles.update_profile(
                    profile_id, data, expected_version=version, actor=current_user
                )
            except ConflictError as exc:
                # Changed between our check and the service's locked one: still a stale ETag.
                if version is not None and "version" in exc.fields:
                    precondition_failed()
                raise
        return _one(profile)
