"""API: a profile's notes (read and write) and its touchpoints (read), newest first."""

from flask.views import MethodView
from flask_login import current_user
from flask_smorest import abort

from crm.schemas.common import CursorArgs
from crm.schemas.notes import NoteIn, NoteOut, NotePage, TouchpointPage
from crm.security import ALL_ROLES, roles
from crm.services import notes
from crm.services.errors import ValidationError
from crm.views.api.common import Blueprint, error_responses, service_errors
from crm.views.api.profiles import get_profile_or_404
from crm.views.profiles import EDITORS

blp = Blueprint("api_notes", __name__, description="Notes and touchpoints of a profile")
URL_PREFIX = "/profiles"


def _page_of(list_of, profile_id: int, args: dict, documents) -> dict:
    """One page of a profile's list (a 404 for no such profile, a 422 for a cursor of
    another list) as {"items": [...], "next": cursor-or-null}."""
    profile = get_profile_or_404(profile_id)
    with service_errors():
        notes.require_live(profile)
    after = int(args["cursor"]) if args.get("cursor") else None
    try:
        rows, next_id = list_of(profile_id, after=after, limit=args["limit"])
    except ValidationError as exc:
        abort(422, message=exc.message, errors={"query": exc.fields})
    return {"items": documents(rows), "next": str(next_id) if next_id is not None else None}


@blp.route("/<int:profile_id>/notes")
class ProfileNotes(MethodView):
    """The notes staff wrote on a profile."""

    @ALL_ROLES
    @blp.arguments(CursorArgs, location="query")
    @blp.response(200, NotePage)
    @error_responses(blp, 401, 403, 404, 409, 422)
    def get(self, args: dict, profile_id: int):
        """The profile's notes, newest first, with author and time; cursor-paged. A profile
        merged into another is answered 409 (`errors.json.merged_into`): its notes moved
        to that one."""
        return _page_of(notes.notes_of, profile_id, args, notes.note_documents)

    @roles(*EDITORS)
    @blp.arguments(NoteIn)
    @blp.response(201, NoteOut)
    @error_responses(blp, 401, 403, 404, 409, 422)
    def post(self, data: dict, profile_id: int):
        """Write a note on the profile as the key's user. A profile merged into another is
        refused (409, `errors.json.merged_into`): write on the one it was merged into,
        where the person's notes are, or undo the merge first."""
        with service_errors():
            note = notes.add_note(profile_id, data["body"], actor=current_user)
        (document,) = notes.note_documents([(note, current_user)])
        return document, 201


@blp.route("/<int:profile_id>/touchpoints")
class ProfileTouchpoints(MethodView):
    """The moments the person met the brand, as sources told them."""

    @ALL_ROLES
    @blp.arguments(CursorArgs, location="query")
    @blp.response(200, TouchpointPage)
    @error_responses(blp, 401, 403, 404, 409, 422)
    def get(self, args: dict, profile_id: int):
        """The profile's touchpoints, newest first by when they happened; cursor-paged.
        `properties` are the source's, as sent: untrusted text. A profile merged into
        another is answered 409 (`errors.json.merged_into`), as for its notes."""
        return _page_of(notes.touchpoints_of, profile_id, args, notes.touchpoint_documents)
