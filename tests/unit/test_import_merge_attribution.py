"""An automatic merge is the importer's decision: it names the import that made it and its
batch, with its score and evidence, never the user who happened to run the import."""

import io

import pytest
from sqlalchemy import select

from crm.extensions import db
from crm.models import AuditLog, ImportBatch, Merge, StageChange
from crm.services import ingest, merging, profiles
from tests import factories

HEADER = "id,first_name,last_name,birth_date,postcode,city,email,phone,stage\n"
GIULIA = "1,Giulia,Ferraresi,1985-03-14,20121,Milano,giulia@example.com,,lead\n"
# Her typo'd name, no identifier: the scorer merges it (and its stage moves her on).
TYPO = "7,Giulia,Ferarresi,1985-03-14,20121,Milano,,,customer\n"


def _import(text: str, source: str, actor) -> dict:
    """Import CSV text from source, run by actor."""
    stream = io.BytesIO(text.encode())
    return ingest.import_stream(stream, filename="people.csv", source_name=source, actor=actor)


@pytest.fixture
def marketer(app):
    return factories.make_user(role="marketer", name="Mara Marketing")


def test_an_automatic_merge_of_a_users_import_names_the_import_and_its_batch(marketer):
    _import(HEADER + GIULIA, "web", marketer)

    summary = _import(HEADER + TYPO, "shop", marketer)

    assert summary["merged"] == 1
    merge = db.session.scalar(select(Merge))
    assert (merge.rule, merge.actor_user_id) == ("auto", None)
    assert merge.actor_label == "import:shop"
    assert merge.batch_id == summary["batch_id"]
    assert merge.score >= 0.92 and "last name: typo" in merge.reasons
    # Who ran the import is the batch's, and the audit trail's (ids only).
    batch = db.session.get(ImportBatch, merge.batch_id)
    assert batch.actor_label == f"user:{marketer.id}"
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "profile.merge"))
    assert entry.actor_user_id == marketer.id
    assert entry.details["batch_id"] == summary["batch_id"] and entry.details["rule"] == "auto"
    # The merge history has no user who made it.
    [(listed, user, undoer)] = merging.merge_history(merge.survivor_id)
    assert (listed.id, user, undoer) == (merge.id, None, None)


def test_what_an_automatic_merge_writes_names_no_user(marketer):
    _import(HEADER + GIULIA, "web", marketer)

    _import(HEADER + TYPO, "shop", marketer)

    merge = db.session.scalar(select(Merge))
    moves = db.session.scalars(
        select(StageChange).where(StageChange.actor_label == f"merge:{merge.id}")
    ).all()
    assert [(m.to_stage, m.actor_user_id) for m in moves] == [("customer", None)]


def test_a_merge_of_two_earlier_profiles_names_the_import_whose_record_joined_them(marketer):
    late = "id,first_name,last_name,birth_date,postcode,city,email,phone\n"
    _import(late + "1,Marco,Bellandi,,,,marco@example.com,\n", "shop", "test")
    _import(late + "C1,Marco,Bellandi,1979-05-02,50122,Firenze,,055 123456\n", "crm", "test")

    # A record joins the shop profile by email with his birth date and postcode: the two
    # earlier profiles now agree, and the scorer merges them.
    summary = _import(late + "T1,Marco,Bellandi,02/05/1979,50122,Firenze,marco@example.com,\n",
                      "telco", marketer)  # fmt: skip

    assert summary["rematched"] == 1
    merge = db.session.scalar(select(Merge))
    assert (merge.rule, merge.actor_user_id) == ("auto", None)
    assert (merge.actor_label, merge.batch_id) == ("import:telco", summary["batch_id"])


@pytest.mark.parametrize("how", ["one", "many"])
def test_a_caller_that_knows_the_batch_names_it(marketer, how):
    _import(HEADER + GIULIA, "web", marketer)
    summary = _import(HEADER + "2,Anna,Neri,,,,anna@example.com,,\n", "fair", marketer)
    giulia, anna = (profiles.search_profiles(email)[0][0].id for email in ("giulia@", "anna@"))

    if how == "one":
        merge = merging.merge_profiles(
            giulia, anna, actor=marketer, rule="auto", score=0.95, batch_id=summary["batch_id"]
        )
    else:
        (merge,) = merging.merge_many(
            [(giulia, anna, 0.95, [])], actor=marketer, batch_id=summary["batch_id"]
        )

    assert (merge.actor_user_id, merge.actor_label) == (None, "import:fair")
    assert merge.batch_id == summary["batch_id"]


def test_a_persons_merge_still_names_them(marketer):
    rep = factories.make_user(role="sales")
    a, b = factories.make_profile(), factories.make_profile()

    merge = merging.merge_profiles(a.id, b.id, actor=rep, rule="review", score=0.8)

    assert (merge.actor_user_id, merge.actor_label, merge.batch_id) == (
        rep.id,
        f"user:{rep.id}",
        None,
    )
