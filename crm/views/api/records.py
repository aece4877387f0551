"""API: source records — upsert a batch of one source's person records."""

from flask.views import MethodView
from flask_login import current_user
from flask_smorest import abort

from crm.schemas.records import SOURCE_PARAMETER, RecordsIn, RecordsOut
from crm.security import roles
from crm.services import ingest, sources
from crm.views.api.common import Blueprint, error_responses, service_errors

blp = Blueprint("api_records", __name__, description="Source records")
URL_PREFIX = "/sources"


@blp.route("/<string:source>/records", parameters=[SOURCE_PARAMETER])
class SourceRecords(MethodView):
    """A source's person records."""

    @roles("admin", "marketer", "sales")
    @blp.arguments(RecordsIn)
    @blp.response(200, RecordsOut)
    @error_responses(blp, 401, 403, 409, 422)
    def post(self, data: dict, source: str):
        """Upsert up to 1000 records of a source; one outcome per record.

        Records run through the same pipeline as `crm import` (normalising, deterministic
        then fuzzy matching, survivorship, consents). An unknown source name is created on
        the fly (first party, trust rank 50), as `crm import` does, and the response says
        so (`source_created`): a mistyped name in an integration's settings shows on its
        first call. A name that differs from an existing source's only in case
        (`Shopify` for `shopify`) is refused with 409 naming that source, since it would
        become a second source holding the same customers' ids. Each result says what
        happened (`created`, `merged`, `updated`, `unchanged`, `review`, `rejected`), which
        profile holds the record, why, and which values were left out. Posting the same
        records again changes nothing (`unchanged`). The records are stored in one
        transaction; automatic fuzzy merges follow it, each recorded and undoable.
        `region`, `dates` and `names` say how phones, numeric dates and full names are
        written, as `crm import --region/--dates/--names` do. A source name holding
        control or invisible formatting characters, or longer than 64, is 422; so is
        `manual` (in any case), the app's own source of values typed by hand in the CRM,
        which outrank every source: records sent under it would pass for a person's edits.
        """
        problem = ingest.source_name_problem(source)
        if problem:
            abort(422, message="Some fields are invalid.", errors={"path": {"source": [problem]}})
        with service_errors(location="path"):
            known = sources.source_for_records(source)
        with service_errors():
            result = ingest.import_records(
                data["records"],
                source_name=source,
                actor=current_user,
                region=data["region"],
                dates=data["dates"],
                names=data["names"],
            )
        return {**result, "source_created": known is None}
