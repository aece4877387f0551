"""The profile page and the API show an automatic merge as the import's (its source, batch,
score and evidence), never as a decision of the user who ran the import."""

import io
import re
from decimal import ROUND_FLOOR, Decimal

import pytest
from sqlalchemy import select

from crm.extensions import db
from crm.models import Merge
from crm.services import ingest, merging
from tests import factories

HEADER = "id,first_name,last_name,birth_date,postcode,city,email,stage\n"
GIULIA = "1,Giulia,Ferraresi,1985-03-14,20121,Milano,giulia@example.com,lead\n"
TYPO = "7,Giulia,Ferarresi,1985-03-14,20121,Milano,,customer\n"


def _import(text: str, source: str, actor) -> dict:
    """Import CSV text from source, run by actor."""
    stream = io.BytesIO(text.encode())
    return ingest.import_stream(stream, filename="people.csv", source_name=source, actor=actor)


@pytest.fixture
def merged(app) -> tuple[Merge, str]:
    """An automatic merge made by an import a marketer ran, and that import's batch id."""
    marketer = factories.make_user(role="marketer", name="Mara Marketing")
    _import(HEADER + GIULIA, "web", marketer)
    summary = _import(HEADER + TYPO, "shop", marketer)
    return db.session.scalar(select(Merge)), summary["batch_id"]


def _row(page: str, merge_id: int) -> str:
    """The merge history's row of a merge."""
    return re.search(rf'<tr id="merge-{merge_id}">.*?</tr>', page, re.S).group(0)


def test_the_merge_history_names_the_import_and_its_batch_not_who_ran_it(client, auth, merged):
    merge, batch_id = merged
    auth.login_as("sales")

    page = client.get(f"/profiles/{merge.survivor_id}").get_data(as_text=True)

    row = _row(page, merge.id)
    assert "import from shop" in row and "automatic" in row
    assert "Import batch" in row and batch_id[:8] in row
    cut = Decimal(repr(merge.score)).quantize(Decimal("0.01"), rounding=ROUND_FLOOR)
    assert "last name: typo" in row and f">{cut}<" in row  # cut, as the queue shows scores
    assert "/imports/batches/" not in row  # a sales rep does not see import batches
    # Neither the merge nor the stage move it made says the marketer decided it.
    assert "Mara Marketing" not in page
    history = re.search(r'<table[^>]*id="stage-history".*?</table>', page, re.S).group(0)
    assert f"merge #{merge.id}" in history


def test_those_who_see_imports_get_a_link_to_the_batch(client, auth, merged):
    merge, batch_id = merged
    auth.login_as("admin")

    page = client.get(f"/profiles/{merge.survivor_id}").get_data(as_text=True)

    assert f'href="/imports/batches/{batch_id}"' in _row(page, merge.id)


def test_a_persons_merge_still_shows_who_made_it(client, auth):
    a, b = factories.make_profile(), factories.make_profile()
    rep = factories.make_user(role="sales", name="Rita Rep")
    merge = merging.merge_profiles(a.id, b.id, actor=rep)
    auth.login_as("sales")

    row = _row(client.get(f"/profiles/{a.id}").get_data(as_text=True), merge.id)

    assert "Rita Rep" in row and "Import batch" not in row


def test_the_api_lists_an_automatic_merge_as_the_imports(client, api_headers, merged):
    merge, batch_id = merged

    response = client.get(
        f"/api/v1/profiles/{merge.survivor_id}/merges", headers=api_headers("sales")
    )

    assert response.status_code == 200
    (item,) = response.get_json()["items"]
    assert (item["rule"], item["actor"], item["batch_id"]) == ("auto", "import:shop", batch_id)
    assert item["score"] >= 0.92 and "last name: typo" in item["reasons"]
    spec = client.get("/api/v1/openapi.json").get_json()
    merge_out = spec["components"]["schemas"]["MergeOut"]["properties"]
    assert "batch_id" in merge_out and "import:<source>" in merge_out["actor"]["description"]
