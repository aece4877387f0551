"""API: the review queue of suspected duplicates — list (filtered) and decide."""

from flask.views import MethodView
from flask_login import current_user
from flask_smorest import abort

from crm.schemas.duplicates import (
    DecisionIn,
    DecisionOut,
    PairDetailOut,
    PairPage,
    QueueArgs,
)
from crm.security import roles
from crm.services import duplicates, imports_ui
from crm.services.errors import ValidationError
from crm.views.api.common import Blueprint, error_responses, service_errors

blp = Blueprint("api_duplicates", __name__, description="The review queue of suspected duplicates")
URL_PREFIX = "/duplicates"
REVIEWERS = ("admin", "sales")


@blp.route("")
class Queue(MethodView):
    """The open pairs."""

    @roles(*REVIEWERS)
    @blp.arguments(QueueArgs, location="query")
    @blp.response(200, PairPage)
    @error_responses(blp, 401, 403, 422)
    def get(self, args):
        """Open pairs, likely duplicates first (highest score first, then the pairs a veto
        kept from an automatic merge), cursor-paged; filters as in the web queue (an
        unknown source is 422: a misspelt name would otherwise list nothing)."""
        if args.get("source") and args["source"] not in imports_ui.source_names():
            abort(422, message="Unknown source.", errors={"query": {"source": ["Unknown."]}})
        only = duplicates.QueueFilter(
            owner_id=current_user.id if args["mine"] else None,
            source=args.get("source"),
            min_score=args.get("min_score"),
        )
        after = int(args["cursor"]) if args.get("cursor") else None
        try:
            rows, next_id = duplicates.open_candidates(after=after, limit=args["limit"], only=only)
        except ValidationError as exc:  # the pair the cursor names is gone
            abort(422, message=exc.message, errors={"query": {"cursor": [exc.message]}})
        return {"items": rows, "next": str(next_id) if next_id is not None else None}


@blp.route("/<int:pair_id>")
class Pair(MethodView):
    """One pair, in whatever state."""

    @roles(*REVIEWERS)
    @blp.response(200, PairDetailOut)
    @error_responses(blp, 401, 403, 404)
    def get(self, pair_id: int):
        """The pair, open or decided, with the merge that decided it (if any)."""
        with service_errors():
            pair = duplicates.get_candidate(pair_id)
            merge = duplicates.merge_of(pair)
            people = duplicates.profiles_of([pair])
        shown = ("id", "profile_a_id", "profile_b_id", "score", "reasons", "status", "decided_at")
        stale = pair.status == "open" and any(p.merged_into_id for p in people.values())
        return {
            **{name: getattr(pair, name) for name in shown},
            "merge_id": merge and merge.id,
            "stale": stale,
        }


@blp.route("/<int:pair_id>/decision")
class Decision(MethodView):
    """A reviewer's decision."""

    @roles(*REVIEWERS)
    @blp.arguments(DecisionIn)
    @blp.response(200, DecisionOut)
    @error_responses(blp, 401, 403, 404, 409, 422)
    def post(self, data, pair_id: int):
        """Merge the pair (the survivor is weighed again) or mark it distinct; a decided
        pair is 409, and so is a merge of a profile changed since the version given."""
        with service_errors():
            sides = duplicates.get_candidate(pair_id)
            seen = ((sides.profile_a_id, data.get("a_version")),
                    (sides.profile_b_id, data.get("b_version")))  # fmt: skip
            pair = duplicates.decide(
                pair_id,
                data["decision"],
                actor=current_user,
                survivor=data["survivor"],
                versions={pid: version for pid, version in seen if version is not None},
            )
            merge = duplicates.merge_of(pair)
        return {"pair": pair, "merge_id": merge.id if merge else None}
