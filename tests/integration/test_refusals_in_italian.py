"""The services refuse in English (logs, the API and the CLI read them so); a page says
their refusals in the user's language, and every pattern that does so still matches what
the services say."""

import io
import re
from types import SimpleNamespace

import pytest
from sqlalchemy.orm.exc import StaleDataError

from crm.extensions import db
from crm.models import SourceRecord
from crm.services import (
    duplicates,
    imports_ui,
    ingest,
    jobs,
    merging,
    profiles,
    readers,
    sources,
    splitting,
    users,
)
from crm.services.errors import ServiceError
from crm.views import reasons
from crm.views.reasons import refusal_text
from tests import factories


def _html(response) -> str:
    return response.get_data(as_text=True)


def _italian(client, auth, role: str):
    """Sign in with role and switch the account to Italian, as a person would."""
    user = auth.login_as(role)
    token = factories.csrf_token(client, "/account")
    response = client.post("/account/language", data={"locale": "it", "csrf_token": token})
    assert response.status_code == 302
    return user


def _token(client, path: str) -> str:
    """The CSRF token of the form on path."""
    return factories.csrf_token(client, path)


# --- refusals on the pages, in Italian ---------------------------------------------------------


def test_a_self_merge_is_refused_in_italian(client, auth):
    profile = factories.make_profile()
    _italian(client, auth, "sales")

    page = _html(client.get(f"/profiles/{profile.id}/merge/{profile.id}", follow_redirects=True))

    assert "I profili non sono stati uniti: Un profilo non può essere unito a sé stesso." in page
    assert "merged with itself" not in page


def test_undoing_an_undone_merge_and_one_a_later_merge_builds_on_say_why_in_italian(client, auth):
    a, b, c = (factories.make_profile() for _ in range(3))
    first = merging.merge_profiles(a.id, b.id, actor="test")
    later = merging.merge_profiles(a.id, c.id, actor="test")
    _italian(client, auth, "sales")
    token = _token(client, f"/profiles/{a.id}")

    page = _html(
        client.post(
            f"/profiles/merges/{first.id}/undo", data={"csrf_token": token}, follow_redirects=True
        )
    )
    assert (
        f"L&#39;unione non è stata annullata: L&#39;unione #{later.id} è successiva e si basa "
        "su questa; annulla prima quella." in page
    )
    assert "came later" not in page

    merging.undo_merge(later.id, actor="test")
    merging.undo_merge(first.id, actor="test")
    page = _html(
        client.post(
            f"/profiles/merges/{first.id}/undo", data={"csrf_token": token}, follow_redirects=True
        )
    )
    assert "L&#39;unione non è stata annullata: Questa unione è già stata annullata." in page
    assert "already undone" not in page


def test_detaching_a_profiles_only_record_is_refused_in_italian(client, auth):
    profile = factories.make_profile()
    record_id = profile.source_records[0].id
    _italian(client, auth, "sales")
    path = f"/profiles/{profile.id}/records/{record_id}/detach"

    page = _html(
        client.post(path, data={"csrf_token": _token(client, path)}, follow_redirects=True)
    )

    assert (
        "Il record non è stato staccato: Questo è l&#39;unico record del profilo: non c&#39;è "
        "nulla da staccare." in page
    )
    assert "nothing to detach" not in page


def test_a_record_that_came_with_a_merge_is_not_detached_and_the_page_says_so_in_italian(
    client, auth
):
    a, b = factories.make_profile(), factories.make_profile()
    record_id = b.source_records[0].id
    merge = merging.merge_profiles(a.id, b.id, actor="test")
    _italian(client, auth, "sales")
    path = f"/profiles/{a.id}/records/{record_id}/detach"

    page = _html(
        client.post(path, data={"csrf_token": _token(client, path)}, follow_redirects=True)
    )

    assert f"Questo record è arrivato con l&#39;unione #{merge.id}" in page
    assert "undo that merge instead" not in page


@pytest.mark.parametrize(
    ("content", "italian", "english"),
    [
        (
            b"Nome,Email\x00\x00\x01\x02" * 20,
            "Questo file non è un testo (CSV o JSON) né una cartella di lavoro .xlsx.",
            "This file is not text",
        ),
        (
            b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n",
            "Questo file è un documento PDF, non un CSV, un JSON o una cartella di lavoro .xlsx",
            "This file is a PDF document",
        ),
    ],
)
def test_an_upload_that_is_no_table_is_refused_in_italian(client, auth, content, italian, english):
    _italian(client, auth, "marketer")
    data = {
        "csrf_token": _token(client, "/imports/new"),
        "source": "",
        "new_source": "fiera",
        "format": "auto",
        "file": (io.BytesIO(content), "contatti.csv"),
    }

    page = _html(
        client.post(
            "/imports/new", data=data, content_type="multipart/form-data", follow_redirects=True
        )
    )

    assert italian in page
    assert english not in page


def test_a_mapping_that_feeds_one_field_twice_is_refused_in_italian(client, auth):
    _italian(client, auth, "marketer")
    content = b"Nome,Nome completo,Email\nAnna,Anna Neri,anna@example.it\n"
    data = {
        "csrf_token": _token(client, "/imports/new"),
        "source": "",
        "new_source": "fiera",
        "format": "auto",
        "file": (io.BytesIO(content), "contatti.csv"),
    }
    path = client.post("/imports/new", data=data, content_type="multipart/form-data")
    path = path.headers["Location"]
    page = _html(client.get(path))
    names = re.findall(r'name="(col_\d+)"', page)
    assert len(names) == 3
    selects = dict(zip(names, ("first_name", "first_name", "email"), strict=True))
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)

    refused = _html(client.post(path, data={"csrf_token": token, **selects}))

    assert "Alcune colonne non possono essere assegnate così." in refused
    assert "il campo first_name è già assegnato alla colonna &#39;Nome&#39;" in refused
    assert "cannot be mapped" not in refused and "already taken" not in refused


def test_an_admin_creating_a_user_with_a_taken_email_reads_why_in_italian(client, auth):
    existing = factories.make_user()
    _italian(client, auth, "admin")
    data = {
        "csrf_token": _token(client, "/admin/users/new"),
        "email": existing.email,
        "role": "sales",
        "password": "initial passphrase",
    }

    page = _html(client.post("/admin/users/new", data=data))

    assert "Esiste già un utente con questa email." in page
    assert "Già in uso." in page  # beside the email field
    assert "A user with this email exists." not in page and "Taken." not in page


def test_a_wrong_current_password_is_said_in_italian(client, auth):
    _italian(client, auth, "sales")
    data = {
        "csrf_token": _token(client, "/account"),
        "current_password": "not the password",
        "new_password": "a brand new passphrase",
        "confirm": "a brand new passphrase",
    }

    page = _html(client.post("/account/password", data=data, follow_redirects=True))

    assert "La password attuale è sbagliata." in page
    assert "The current password is wrong." not in page


def test_a_stale_profile_edit_is_refused_in_italian(client, auth):
    profile = factories.make_profile(city="Venezia")
    _italian(client, auth, "sales")
    path = f"/profiles/{profile.id}/edit"
    form = _profile_form(client, path)
    # Someone else saves between this user's opening the form and pressing Save.
    profiles.update_profile(profile.id, {"city": "Napoli"}, expected_version=None, actor="test")

    response = client.post(path, data={**form, "city": "Torino"})

    assert response.status_code == 409
    page = _html(response)
    assert "Il profilo è stato modificato da qualcun altro" in page
    assert "Non è stato salvato nulla." in page
    assert "someone else" not in page and "nothing was saved" not in page.lower()


def test_an_edit_with_another_profiles_email_and_bad_fields_is_refused_in_italian(client, auth):
    holder = factories.make_profile(emails=["preso@example.com"])
    profile = factories.make_profile()
    _italian(client, auth, "sales")
    path = f"/profiles/{profile.id}/edit"

    taken = client.post(path, data={**_profile_form(client, path), "emails": "preso@example.com"})
    page = _html(taken)
    assert taken.status_code == 409
    assert f"preso@example.com appartiene al profilo #{holder.id}." in page
    assert "belongs to" not in page

    bad = {"emails": "rotto@@example", "country": "Narnia", "birth_date": "31/31/1980"}
    refused = client.post(path, data={**_profile_form(client, path), **bad})
    page = _html(refused)
    assert refused.status_code == 422
    assert "rotto@@example: email non valida (" in page
    assert "paese sconosciuto" in page and "data non riconosciuta" in page
    assert "invalid email" not in page and "unknown country" not in page


def test_a_pair_decided_meanwhile_is_refused_in_italian(client, auth):
    known = factories.make_profile(first_name="Giulia", last_name="Ferraresi", company="Acme Srl")
    profiles.create_profile(
        {"first_name": "Giulia", "last_name": "Ferraresi", "company": "ACME"},
        actor="test",
        on_duplicate="review",
    )
    [pair] = duplicates.open_candidates()[0]
    assert known.id in (pair.profile_a_id, pair.profile_b_id)
    _italian(client, auth, "sales")
    token = _token(client, f"/duplicates/{pair.id}")
    duplicates.decide(pair.id, "distinct", actor="test")

    page = _html(
        client.post(
            f"/duplicates/{pair.id}/decide",
            data={"csrf_token": token, "decision": "merge", "survivor": "a"},
            follow_redirects=True,
        )
    )

    assert "Su questa coppia è già stata presa una decisione: sono persone diverse." in page
    assert "already decided" not in page


def _profile_form(client, path: str) -> dict[str, str]:
    """The profile form's values as the edit page sends them (CSRF token and version too)."""
    page = _html(client.get(path))
    form = re.search(r'<form[^>]*id="profile-form".*?</form>', page, re.S).group(0)
    values = {
        name: value
        for name, value in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form)
    }
    values.update(re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>\s*([^<]*)</textarea>', form))
    for name, options in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        chosen = re.search(r'<option selected value="([^"]*)"', options) or re.search(
            r'<option value="([^"]*)"[^>]*selected', options
        )
        values[name] = chosen.group(1) if chosen else ""
    return values


# --- every pattern matches what a service says -------------------------------------------------


def _refusal(call, *args, **kwargs) -> ServiceError:
    """The domain error a service call raises."""
    with pytest.raises(ServiceError) as raised:
        call(*args, **kwargs)
    return raised.value


def _said(call, *args, **kwargs) -> list[str]:
    """The message and every per-field message of the error a service call raises."""
    error = _refusal(call, *args, **kwargs)
    return [error.message, *(m for messages in error.fields.values() for m in messages)]


def _merging_and_splitting() -> list[str]:
    """What merging, undoing and detaching refuse."""
    a, b, c, d = (factories.make_profile() for _ in range(4))
    found = [_refusal(merging.refuse_self_merge, a.id, a.id).message]
    brought = b.source_records[0].id
    first = merging.merge_profiles(a.id, b.id, actor="test")
    found.append(_refusal(merging.merge_profiles, c.id, b.id, actor="test").message)
    found.append(_refusal(splitting.detach_record, brought, actor="test").message)
    found.append(_refusal(splitting.detach_record, c.source_records[0].id, actor="test").message)
    stale = {d.id: d.version - 1}  # the version seen before an edit
    found.append(_refusal(merging.merge_profiles, c.id, d.id, actor="test", versions=stale).message)
    # a's own record: every other came with the merge, so an undo would leave a empty.
    own = next(r.id for r in a.source_records if r.id != brought)
    found.append(_refusal(splitting.detach_record, own, actor="test").message)
    later = merging.merge_profiles(a.id, c.id, actor="test")
    found.append(_refusal(merging.undo_merge, first.id, actor="test").message)
    with pytest.MonkeyPatch.context() as patch:  # a chain longer than an undo goes through
        patch.setattr(merging, "MAX_LATER", 0)
        found.append(_refusal(merging.undo_merge, first.id, actor="test", with_later=True).message)
    merging.undo_merge(later.id, actor="test")
    merging.undo_merge(first.id, actor="test")
    found.append(_refusal(merging.undo_merge, first.id, actor="test").message)
    # A record left on a profile merged away (the service checks, though merges move them).
    merging.merge_profiles(c.id, d.id, actor="test")
    record = SourceRecord(source=profiles.manual_source(), raw={}, profile_id=d.id)
    db.session.add(record)
    db.session.commit()
    found.append(_refusal(splitting.detach_record, record.id, actor="test").message)
    return found


def _review_pairs() -> list[str]:
    """What deciding a pair refuses, and merging one marked as different people."""
    found = []
    for decision in ("distinct", "merge"):
        factories.make_profile(first_name="Ada", last_name=f"Neri{decision}", company="Acme")
        profiles.create_profile(
            {"first_name": "Ada", "last_name": f"Neri{decision}", "company": "ACME"},
            actor="test",
            on_duplicate="review",
        )
        [pair] = duplicates.open_candidates()[0]
        duplicates.decide(pair.id, decision, actor="test")
        found.append(_refusal(duplicates.decide, pair.id, "merge", actor="test").message)
        if decision == "distinct":
            found.append(
                _refusal(
                    merging.merge_profiles,
                    pair.profile_a_id,
                    pair.profile_b_id,
                    actor="test",
                    rule="review",
                ).message
            )
            unconfirmed = _refusal(
                merging.merge_profiles, pair.profile_a_id, pair.profile_b_id, actor="test"
            )
            found += [unconfirmed.message, *unconfirmed.fields["confirm_distinct"]]
    found.append(_refusal(duplicates.open_candidates, after=10**9).message)  # a pair gone
    return found


def _users() -> list[str]:
    """What user administration and password changes refuse."""
    admin = factories.make_user("admin")
    found = _said(users.create_user, admin.email, "a long passphrase", "sales", actor="test")
    found += _said(users.check_password_rules, "short")
    found += _said(users.update_user, admin.id, active=False, actor=admin)
    found += _said(users.update_user, admin.id, role="sales", actor="test")
    found += _said(users.update_user, admin.id, role="root", actor="test")
    found += _said(users.change_password, admin, "wrong", "a new long passphrase")
    return found


def _profiles(monkeypatch) -> list[str]:
    """What creating and editing profiles refuse, field by field."""
    holder = factories.make_profile(emails=["preso@example.com"], phones=["+39 333 1234567"])
    found = _said(profiles.create_profile, {"emails": ["preso@example.com"]}, actor="test")
    found += _said(profiles.create_profile, {"phones": ["+39 333 1234567"]}, actor="test")
    bad = {
        "first_name": "A" * 101,
        "emails": ["rotto@@example"],
        "phones": ["12"],
        "tags": ["t" * 300],
        "owner": 999_999,
        "stage": "prospect",
        "country": "Narnia",
    }
    found += _said(profiles.create_profile, bad, actor="test")
    found += _said(profiles.update_profile, holder.id, {}, expected_version=-1, actor="test")
    other = factories.make_profile()
    merging.merge_profiles(other.id, holder.id, actor="test")
    found += _said(profiles.update_profile, holder.id, {}, expected_version=None, actor="test")

    def collide(*args, **kwargs):
        raise StaleDataError("changed under us")

    with monkeypatch.context() as patched:
        patched.setattr(profiles, "_apply", collide)
        found += _said(profiles.update_profile, other.id, {}, expected_version=None, actor="test")
    return found


def _sources(monkeypatch) -> list[str]:
    """What changing a source's settings and choosing its profiles' values again refuse."""
    factories.make_profile(emails=["fiera@example.it"])
    manual = profiles.manual_source()
    found = _said(sources.update_source, manual.id, {}, expected_version=None, actor="test")
    ingest.import_records([{"id": "F1", "email": "fiera@example.it"}], source_name="fiera")
    fiera = sources.find_source("fiera")
    found += _said(sources.update_source, fiera.id, {}, expected_version=-1, actor="test")
    refused = {
        "label": "x" * 201,
        "party": "fourth",
        "trust_rank": 101,
        "default_region": "ZZ",
        "colour": "red",
    }
    found += _said(sources.update_source, fiera.id, refused, expected_version=None, actor="test")

    def collide(ids):
        raise StaleDataError("changed under us")

    with monkeypatch.context() as patched:
        patched.setattr(sources, "_recompute_chunk", collide)
        found += _said(sources.recompute, fiera.id)
    found += _said(sources.source_for_records, "FIERA")  # a second spelling of one source
    found += _said(sources.source_for_records, "Manual")  # records under the app's own source
    looks = {"label": "Manual Entry"}  # a label that would pass for the app's own source's
    found += _said(sources.update_source, fiera.id, looks, expected_version=None, actor="test")
    return found


def _imports() -> list[str]:
    """What uploading, mapping and importing a file refuse."""
    empty = io.BytesIO(b"")
    found = _said(
        imports_ui.save_upload, empty, filename="a.csv", source_name="f", fmt="auto", actor="t"
    )
    found += _said(
        imports_ui.save_upload, empty, filename="a.csv", source_name="", fmt="auto", actor="t"
    )
    found += _said(
        imports_ui.save_upload, empty, filename="a.csv", source_name="f", fmt="xml", actor="t"
    )
    found += _said(
        imports_ui.check_mapping,
        ["Nome", "Name", "Email"],
        {"Nome": "first_name", "Name": "first_name", "Email": "e_mail"},
        "csv",
    )
    found += _said(imports_ui.phone_sample, None, "ZZ")
    unstarted = SimpleNamespace(job_id=None)
    found += _said(
        imports_ui.start_import, unstarted, fmt="csv", overrides={}, actor="t", region="ZZ"
    )
    found += _said(
        imports_ui.start_import, unstarted, fmt="csv", overrides={}, actor="t", dates="sideways"
    )
    gone = {"upload_id": "0" * 32, "source_name": "f"}
    found += _said(imports_ui.run_import, gone, progress=lambda *a, **k: None, actor="t")
    found += _said(ingest.ensure_source, "fiera", region="ITA")
    found += _said(ingest.ensure_source, "fiera\u202e")
    found += _said(
        ingest.open_reader,
        io.BytesIO(b"foo,bar\n1,2\n"),
        filename="a.csv",
        fmt="xml",
        overrides=None,
    )
    found += _said(
        ingest.open_reader,
        io.BytesIO(b"colore,sapore\nrosso,dolce\n"),
        filename="a.csv",
        fmt="auto",
        overrides=None,
    )
    return found


def _locked_zip() -> bytes:
    """A zip archive whose one table says it is encrypted (zipfile writes none such)."""
    data = bytearray(factories.zip_of({"a.csv": "email\na@example.it\n"}))
    directory = data.index(b"PK\x01\x02")
    data[directory + 8] |= 0x1  # the general purpose flags of the directory entry
    return bytes(data)


def _files() -> list[str]:
    """What the readers refuse: files that are no table, and archives of such."""
    found = []
    for sample in (b"PK\x03\x04rest", b"\xd0\xcf\x11\xe0rest", b"%PDF-1.7", b"ab\x00cd"):
        found += _said(readers.check_text_sample, sample)
    found += _said(readers.read_xlsx, io.BytesIO(b"not a workbook"))
    found += _said(readers.read_archive, io.BytesIO(b"PK\x03\x04 but no archive"))
    found += _said(readers.read_archive, io.BytesIO(factories.zip_of({"README.txt": "hi"})))
    many = {f"{n}.csv": "email\na@example.it\n" for n in range(readers.ARCHIVE_MAX_TABLES + 1)}
    found += _said(readers.read_archive, io.BytesIO(factories.zip_of(many)))
    found += _said(readers.read_archive, io.BytesIO(_locked_zip()))
    binary = factories.zip_of({"contatti.csv": b"email\x00\x01\x02"})
    found += _said(readers.read_archive, io.BytesIO(binary))
    bomb = factories.zip_of({"contatti.csv": "email\n" + "a" * 300_000})
    limit, readers.ZIP_BOMB_BYTES = readers.ZIP_BOMB_BYTES, 100_000
    try:
        found += _said(readers.read_archive, io.BytesIO(bomb))
    finally:
        readers.ZIP_BOMB_BYTES = limit
    broken = bytearray(factories.zip_of({"contatti.csv": "email\na@example.it\n"}))
    broken[:4] = b"PK\x00\x00"  # the table's own header, not the archive's directory
    found += _said(readers.read_archive, io.BytesIO(bytes(broken)))
    return found


def _previews() -> list[str]:
    """The problems a preview lists: a row of a CSV file, a line of JSON Lines, a row of a
    file of an archive."""
    found = []
    for content, filename in (
        (b"email,name\na@example.it,Anna\nb@example.it,Bea,extra\n", "a.csv"),
        (b'{"email": "a@example.it"}\n{not json}\n', "a.jsonl"),
        (factories.zip_of({"a.csv": "email,name\nb@example.it,Bea,extra\n"}), "a.zip"),
    ):
        upload = imports_ui.save_upload(
            io.BytesIO(content), filename=filename, source_name="f", fmt="auto", actor="t"
        )
        found += imports_ui.preview_upload(upload).problems
    return found


def _job_errors(app) -> list[str]:
    """What a failed job says when it is no domain error, or the queue cannot be reached."""
    found = [jobs.safe_error(RuntimeError("boom"))]
    app.config.update(JOBS_MODE="rq", REDIS_URL="redis://127.0.0.1:1/0")
    job = jobs.enqueue("sources.recompute", {"source_id": 1}, actor="test")
    db.session.refresh(job)
    found.append(job.error)
    return found


def _messages(app, monkeypatch) -> list[str]:
    """Refusals as the services say them, not copied by hand."""
    return (
        _merging_and_splitting()
        + _review_pairs()
        + _users()
        + _profiles(monkeypatch)
        + _sources(monkeypatch)
        + _imports()
        + _files()
        + _previews()
        + _job_errors(app)
    )


def _first_pattern(message: str) -> str | None:
    """The pattern refusal_text says message by, in the order it tries them."""
    for pattern, _phrase in reasons._REFUSALS + reasons._PHRASES + reasons._COMPOSED:
        if re.fullmatch(pattern, message, re.DOTALL):
            return pattern
    return None


def test_every_refusal_pattern_matches_what_a_service_says(app, monkeypatch):
    said = _messages(app, monkeypatch)
    used = {_first_pattern(message) for message in said}
    patterns = [pattern for pattern, _phrase in reasons._REFUSALS + reasons._COMPOSED]
    unused = [pattern for pattern in patterns if pattern not in used]
    assert unused == [], "patterns no service message matches (was one reworded?)"

    # Those a pattern knows (not, say, the version a hidden field gets) read in Italian...
    known = [message for message in said if _first_pattern(message)]
    with app.test_request_context(headers={"Accept-Language": "it"}):
        italian = [refusal_text(message) for message in known]
    assert [m for m, s in zip(known, italian, strict=True) if s == m] == []
    assert "Un profilo non può essere unito a sé stesso." in italian
    assert "Paese sconosciuto: 'ZZ'." in italian

    # ... and an English reader gets the service's own words.
    refusals = {pattern for pattern, _phrase in reasons._REFUSALS}
    own = [message for message in said if _first_pattern(message) in refusals]
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert [refusal_text(message) for message in own] == own


def test_unknown_refusals_pass_through_and_known_parts_inside_them_are_translated(app):
    archive_member = "soci.csv: This file is not text (CSV or JSON) nor an .xlsx workbook."
    with app.test_request_context(headers={"Accept-Language": "it"}):
        assert refusal_text("Something new: went wrong.") == "Something new: went wrong."
        assert refusal_text("") == ""
        assert refusal_text(archive_member) == (
            "soci.csv: Questo file non è un testo (CSV o JSON) né una cartella di lavoro .xlsx."
        )
        assert refusal_text("Merge #12 came later and builds on this one; undo it first.") == (
            "L'unione #12 è successiva e si basa su questa; annulla prima quella."
        )


def test_a_failed_import_says_why_in_italian(client, auth, app):
    app.config["JOBS_MODE"] = "sync"
    marketer = _italian(client, auth, "marketer")
    job = jobs.enqueue("import", {"upload_id": "0" * 32, "source_name": "fiera"}, actor=marketer)

    page = _html(client.get(f"/imports/jobs/{job.id}"))

    assert "Il file caricato non è più disponibile; caricalo di nuovo." in page
    assert "no longer available" not in page
