"""The source-records API: per-record outcomes, input checks, idempotency, roles."""

from sqlalchemy import func, select

from crm.extensions import db
from crm.models import ConsentRecord, ImportRejection, Merge, Profile, Source, SourceRecord
from crm.services import ingest, profiles

API = "/api/v1/sources/{}/records"


def _post(client, headers, records, source="webshop"):
    return client.post(API.format(source), headers=headers, json={"records": records})


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


RECORDS = [
    {"external_id": "A1", "first_name": "Anna", "last_name": "Bianchi", "email": "anna@ex.com"},
    {"id": "A2", "first_name": "Anna", "emails": ["ANNA@ex.com", "a.b@ex.com"], "tags": ["vip"]},
    {"external_id": "A3", "first_name": "Bo", "phone": "not a phone", "birth_date": "31/02/1990"},
    {"city": "Roma", "source_note": "no identifier"},
]


def test_each_record_gets_its_outcome(client, api_headers):
    response = _post(client, api_headers("marketer"), RECORDS)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["batch_id"]
    assert body["summary"]["rows"] == 4
    assert (body["summary"]["created"], body["summary"]["merged"]) == (2, 1)
    results = body["results"]
    assert [r["outcome"] for r in results] == ["created", "merged", "created", "rejected"]
    assert [r["index"] for r in results] == [0, 1, 2, 3]
    assert results[1]["profile_id"] == results[0]["profile_id"]
    assert results[1]["reasons"] == ["email: same"]
    assert {w["field"] for w in results[2]["warnings"]} == {"phone", "birth_date"}
    assert results[3]["profile_id"] is None
    assert "no usable" in results[3]["reasons"][0]
    anna = db.session.get(Profile, results[0]["profile_id"])
    assert sorted(e.email for e in anna.emails) == ["a.b@ex.com", "anna@ex.com"]
    assert [t.name for t in anna.tags] == ["vip"]
    rejection = db.session.scalar(select(ImportRejection).where(ImportRejection.kind == "rejected"))
    assert rejection.row_number == 3


def test_unknown_source_is_created(client, api_headers):
    _post(client, api_headers("sales"), RECORDS[:1], source="pos-milano")
    source = db.session.scalar(select(Source).where(Source.name == "pos-milano"))
    assert (source.party, source.trust_rank) == ("first", 50)


def test_posting_the_same_records_again_changes_nothing(client, api_headers):
    headers = api_headers("admin")
    records = [*RECORDS[:3], {"first_name": "Carla", "last_name": "Neri", "city": "Bari"}]
    first = _post(client, headers, records).get_json()
    counts = (_count(Profile), _count(SourceRecord))
    second = _post(client, headers, records).get_json()
    assert [r["outcome"] for r in second["results"]] == ["unchanged"] * 4
    assert [r["profile_id"] for r in second["results"]] == [
        r["profile_id"] for r in first["results"]
    ]
    assert (_count(Profile), _count(SourceRecord)) == counts


def test_changed_record_is_updated(client, api_headers):
    headers = api_headers("admin")
    _post(client, headers, [{"id": "X", "email": "x@ex.com", "city": "Roma"}])
    body = _post(client, headers, [{"id": "X", "email": "x@ex.com", "city": "Milano"}]).get_json()
    assert body["results"][0]["outcome"] == "updated"
    assert profiles.search_profiles("x@ex.com")[0][0].city == "Milano"


def test_fuzzy_match_is_merged_with_its_reasons(client, api_headers):
    headers = api_headers("admin")
    person = {"first_name": "Giulia", "last_name": "Ferraresi", "birth_date": "1985-03-14"}
    _post(client, headers, [{"id": "1", **person, "postcode": "20121", "email": "g@ex.com"}])
    typo = {**person, "last_name": "Ferarresi", "postcode": "20121"}
    body = _post(client, headers, [{"id": "9", **typo}], source="fair").get_json()
    (result,) = body["results"]
    assert result["outcome"] == "merged"
    assert "birth date: same" in result["reasons"]
    merge = db.session.scalar(select(Merge))
    assert (merge.rule, merge.survivor_id) == ("auto", result["profile_id"])
    assert result["merge_id"] == merge.id  # to show or undo it
    assert "review_pairs" not in result


def test_two_rows_alike_without_an_id_are_one_record_and_the_second_says_so(client, api_headers):
    headers = api_headers("admin")
    scan = {"first_name": "Bruno", "last_name": "Marino"}
    first, second = _post(client, headers, [scan, scan], source="badges").get_json()["results"]
    assert (first["outcome"], second["outcome"]) == ("created", "unchanged")
    assert second["profile_id"] == first["profile_id"]
    assert second["warnings"] == [{"field": "", "reason": ingest.SAME_ROW_AGAIN}]
    assert first["warnings"] == []
    # Sent again in a later call: the same record, unchanged, and nothing to say.
    again = _post(client, headers, [scan], source="badges").get_json()["results"]
    assert (again[0]["outcome"], again[0]["warnings"]) == ("unchanged", [])


def test_a_record_sent_to_review_names_its_pairs(client, api_headers):
    headers = api_headers("admin")
    [first] = _post(
        client, headers, [{"id": "1", "first_name": "Giulia", "last_name": "Ferraresi",
                           "company": "Acme", "city": "Parma"}],
    ).get_json()["results"]  # fmt: skip
    [result] = _post(
        client, headers, [{"id": "2", "first_name": "Giulia", "last_name": "Ferraresi",
                           "company": "Acme"}], source="fair",
    ).get_json()["results"]  # fmt: skip
    assert result["outcome"] == "review", result
    [pair] = result["review_pairs"]
    assert pair["profile_id"] == first["profile_id"]
    assert client.get(f"/api/v1/duplicates/{pair['id']}", headers=headers).status_code == 200
    assert "merge_id" not in result


def test_consents_are_recorded_once(client, api_headers):
    headers = api_headers("marketer")
    record = {
        "id": "C1",
        "email": "c@ex.com",
        "consents": [
            {
                "purpose": "email_marketing",
                "status": "granted",
                "recorded_at": "2024-05-01T10:00:00Z",
                "evidence": {"form": "newsletter"},
            }
        ],
    }
    _post(client, headers, [record])
    _post(client, headers, [record])
    consent = db.session.scalar(select(ConsentRecord))
    assert _count(ConsentRecord) == 1
    assert (consent.purpose, consent.status, consent.legal_basis) == (
        "email_marketing",
        "granted",
        "consent",
    )
    assert consent.evidence["form"] == "newsletter"


def test_more_than_a_thousand_records_is_422(client, api_headers):
    records = [{"email": f"p{n}@ex.com"} for n in range(1001)]
    response = _post(client, api_headers("admin"), records)
    assert response.status_code == 422
    assert response.get_json()["errors"]["json"]["records"] == [
        "At most 1000 records a call: send the rest in another."
    ]
    assert _count(SourceRecord) == 0


def test_records_must_be_a_list_of_objects(client, api_headers):
    headers = api_headers("admin")
    response = client.post(API.format("web"), headers=headers, json={"records": "nope"})
    assert response.status_code == 422
    assert "records" in response.get_json()["errors"]["json"]
    response = _post(client, headers, [{"email": "a@ex.com"}, 7])
    assert response.status_code == 422
    assert "1" in response.get_json()["errors"]["json"]["records"]
    response = client.post(API.format("web"), headers=headers, json={})
    assert response.status_code == 422
    assert _count(SourceRecord) == 0


def test_a_record_of_a_bad_shape_is_rejected_alone_with_its_problems(client, api_headers):
    records = [
        {"email": "a@ex.com", "first_name": {"x": 1}},
        {"email": "b@ex.com", "consents": [{"purpose": "spam", "status": "granted"}]},
        {"email": "c@ex.com", "utm": {"source": "x"}, "x": [[[]]]},  # kept in the raw record
    ]
    response = _post(client, api_headers("admin"), records)
    assert response.status_code == 200, response.get_json()
    results = response.get_json()["results"]
    assert [r["outcome"] for r in results] == ["rejected", "rejected", "created"]
    assert results[0]["reasons"] == [
        "the record's shape is refused: first_name: Must be text, a number or null."
    ]
    assert results[1]["reasons"][0].startswith(
        "the record's shape is refused: consents: 0: purpose must be one of"
    )
    # Rejected rows are kept in the batch report, as a file's are.
    assert {r.row_number for r in db.session.scalars(select(ImportRejection))} >= {1, 2}


def test_unknown_top_level_field_is_422(client, api_headers):
    response = client.post(
        API.format("web"), headers=api_headers("admin"), json={"records": [], "x": 1}
    )
    assert response.status_code == 422


def test_without_key_is_401(client):
    response = client.post(API.format("web"), json={"records": []})
    assert response.status_code == 401
    assert response.is_json


def test_compliance_may_not_post_records(client, api_headers):
    response = _post(client, api_headers("compliance"), RECORDS[:1])
    assert response.status_code == 403
    assert _count(SourceRecord) == 0


def test_endpoint_is_documented(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    post = spec["paths"]["/api/v1/sources/{source}/records"]["post"]
    assert "created on the fly" in " ".join(post["description"].split())
    assert {"200", "401", "403", "422"} <= set(post["responses"])


def test_the_summary_counts_earlier_profiles_weighed_again(client, api_headers):
    headers = api_headers("marketer")
    giulia = {"first_name": "Giulia", "last_name": "Ferraresi"}
    _post(client, headers, [{**giulia, "id": "S1", "email": "giulia@example.com"}], "shop")
    office = {**giulia, "id": "C1", "city": "Milano", "company": "Acme Srl", "email": "g@acme.it"}
    _post(client, headers, [office], "crm")
    badge = {
        **giulia,
        "id": "B1",
        "company": "Acme",
        "city": "Milano",
        "email": "giulia@example.com",
    }
    body = _post(client, headers, [badge], "fair").get_json()
    assert body["results"][0]["outcome"] == "merged"
    assert body["summary"]["rematched"] == 1


def test_the_request_says_how_phones_dates_and_names_are_written(client, api_headers):
    body = {
        "records": [
            {
                "id": "U1",
                "full_name": "Lovelace Ada",
                "phone": "(212) 736-5000",
                "birth_date": "04/03/1980",
            },
        ],
        "region": "us",
        "dates": "month-first",
        "names": "surname-first",
    }
    response = client.post(API.format("us-shop"), headers=api_headers("marketer"), json=body)
    assert response.status_code == 200, response.get_json()
    ada = db.session.get(Profile, response.get_json()["results"][0]["profile_id"])
    assert (ada.first_name, ada.last_name) == ("Ada", "Lovelace")
    assert ada.primary_phone == "+12127365000"
    assert ada.birth_date.isoformat() == "1980-04-03"
    assert db.session.scalar(select(Source.default_region).where(Source.name == "us-shop")) == "US"


def test_an_unknown_country_or_reading_order_is_422_per_field(client, api_headers):
    body = {"records": RECORDS[:1], "region": "XX", "dates": "year-first", "names": "any"}
    response = client.post(API.format("webshop"), headers=api_headers("marketer"), json=body)
    assert response.status_code == 422
    assert set(response.get_json()["errors"]["json"]) == {"region", "dates", "names"}
    assert _count(SourceRecord) == 0


def test_a_consent_warning_names_the_consents_field_the_client_sent(client, api_headers):
    headers = api_headers("marketer")
    withdrawn = {"purpose": "email_marketing", "status": "withdrawn",
                 "recorded_at": "2026-01-01T10:00:00Z"}  # fmt: skip
    _post(client, headers, [{"external_id": "1", "email": "w@ex.com", "consents": [withdrawn]}],
          source="newsletter")  # fmt: skip
    undated = {"purpose": "email_marketing", "status": "granted"}
    future = {**undated, "purpose": "profiling", "recorded_at": "2062-05-01T10:00:00Z"}
    body = _post(
        client, headers, [{"external_id": "2", "email": "w@ex.com", "consents": [undated, future]}]
    ).get_json()
    warnings = body["results"][0]["warnings"]
    assert {w["field"] for w in warnings} == {"consents"}, warnings
    assert len(warnings) == 2
