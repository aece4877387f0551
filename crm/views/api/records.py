"""API: source records — upsert a batch of one source's person records."""

from flask.views import MethodView
from flask_login import current_user
from flask_smorest import abort

from crm.schemas.records import RecordsIn, RecordsOut
from crm.security import roles
from crm.services import ingest
from crm.views.api.common import Blueprint, error_responses, service_errors

blp = Blueprint("api_records", __name__, description="Source records")
URL_PREFIX = "/sources"


@blp.route("/<string:source>/records")
class SourceRecords(MethodView):
    """A source's person records."""

    @roles("admin", "marketer", "sales")
    @blp.arguments(RecordsIn)
    @blp.response(200, RecordsOut)
    @error_responses(blp, 401, 403, 422)
    def post(self, data: dict, source: str):
        """Upsert up to 1000 records of a source; one outcome per record.

        Records run through the same pipeline as `crm import` (normalising, deterministic
        then fuzzy matching, survivorship, consents). An unknown source name is created on
        the fly (first party, trust rank 50), as `crm import` does. Each result says what
        happened (`created`, `merged`, `updated`, `unchanged`, `review`, `rejected`), which
        profile holds the record, why, and which values were left out. Posting the same
        records again changes nothing (`unchanged`). The records are stored in one
        transaction; automatic fuzzy merges follow it, each recorded and undoable.
        `region`, `dates` and `names` say how phones, numeric dates and full names are
        written, as `crm import --region/--dates/--names` do. A source name holding
        control or invisible formatting characters, or longer than 64, is 422.
        """
        problem = ingest.source_name_problem(source)
        if problem:
            abort(422, message="Some fields are invalid.", errors={"path": {"source": [problem]}})
        with service_errors():
            return ingest.import_records(
                data["records"],
                source_name=source,
                actor=current_user,
                region=data["region"],
                dates=data["dates"],
                names=data["names"],
            )
