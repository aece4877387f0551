"""Other tools' exports, many in Italian, read as an import reads them (a tester's findings)."""

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from crm.extensions import db
from crm.models import ConsentRecord, ProfileEmail
from crm.services import ingest, readers
from crm.services.rows import consent_from_row, consents_from_columns, normalise_row

FIXTURES = Path(__file__).parent.parent / "fixtures" / "imports"


def _read(text: str):
    """(mapping, rows) of a CSV text."""
    mapping, rows = readers.read_csv(io.BytesIO(text.encode()))
    return mapping, list(rows)


def _read_fixture(name: str):
    """(mapping, rows) of a fixture file."""
    mapping, rows = readers.read_csv(io.BytesIO((FIXTURES / name).read_bytes()))
    return mapping, list(rows)


def _consents(row) -> list[tuple[str, str]]:
    """(purpose, status) of the consents a plain CSV row's columns state."""
    facts, _warnings = consents_from_columns(row.values)
    return [(fact.purpose, fact.status) for fact in facts]


# 1. Opt-outs under Italian or tools' own headers are withdrawals


@pytest.mark.parametrize(
    "header, value",
    [
        ("Rinuncia e-mail", "1"),  # Salesforce in Italian
        ("Annullata l'iscrizione a tutte le e-mail", "Sì"),  # HubSpot in Italian
        ("EMAIL_BLACKLISTED", "Yes"),  # Brevo
    ],
)
def test_an_opt_out_under_an_italian_or_tool_header_is_a_withdrawal(header, value):
    _mapping, [row] = _read(f"Email,{header}\nanna@example.it,{value}\n")
    assert _consents(row) == [("email_marketing", "withdrawn")]


def test_activecampaigns_status_unsubscribed_withdraws_and_bounced_only_marks_the_address():
    mapping, rows = _read(
        "Contact ID,Email,Status,List\n"
        "1,ornella@example.it,Active,Newsletter\n"
        "2,bruno@example.it,Unsubscribed,Newsletter\n"
        "3,pietro@example.it,Bounced,Newsletter\n"
    )
    assert mapping.columns["Status"] == "subscription_status"
    active, unsubscribed, bounced = rows
    assert _consents(active) == []
    assert _consents(unsubscribed) == [("email_marketing", "withdrawn")]
    assert _consents(bounced) == []
    assert normalise_row(bounced.values, "IT").bounced


def test_a_bare_status_of_something_else_is_no_consent_and_stays_unmapped():
    mapping, rows = _read(
        "Email,Status\na@example.it,Completed\nb@example.it,Cancelled\nc@example.it,Active\n"
    )
    assert "Status" in mapping.unmapped
    assert [_consents(row) for row in rows] == [[], [], []]


# 2. Italian HubSpot, ids, places, companies and job titles under Italian headers


def test_an_italian_hubspot_export_is_recognised_with_its_consent_columns():
    mapping, rows = _read_fixture("hubspot_contatti_it.csv")
    assert mapping.format == "hubspot"
    giulia, luca, francesca = (consent_from_row("hubspot", r.values) for r in rows)
    assert (giulia.status, giulia.legal_basis) == ("granted", "consent")
    assert luca.status == "withdrawn"
    assert (francesca.status, francesca.legal_basis) == ("granted", "legitimate_interests")
    first = normalise_row(rows[0].values, "IT")
    assert first.external_id == "900001"
    assert first.fields["company"] == "Ceramiche Esempio Srl"
    assert (first.fields["state"], first.fields["country"]) == ("Lombardia", "IT")


@pytest.mark.parametrize(
    "header, field",
    [
        ("ID record", "external_id"),
        ("ID lead", "external_id"),
        ("ID CONTATTO", "external_id"),
        ("Klaviyo ID", "external_id"),
        ("Stato/Regione", "state"),
        ("Stato/Provincia", "state"),
        ("Paese/regione", "country"),
        ("Nome azienda", "company"),
        ("Società/Account", "company"),
        ("NUMERO_FISSO", "phone"),
    ],
)
def test_italian_and_tools_headers_of_ids_places_companies_and_landlines_map(header, field):
    assert readers.interpret_header(header) == (field, "")


def test_a_bare_stato_of_statuses_is_no_country_and_of_countries_is():
    statuses, _rows = _read("Email,Stato\na@example.it,Completato\nb@example.it,In attesa\n")
    assert "Stato" in statuses.unmapped
    countries, [row] = _read("Email,Stato\na@example.it,Italia\n")
    assert countries.columns["Stato"] == "country"
    assert normalise_row(row.values, "IT").fields["country"] == "IT"


def test_salesforce_italian_titolo_beside_its_salutation_is_the_job_title():
    mapping, [row] = _read(
        "Formula di saluto,Nome,Cognome,Titolo,Email\nSig.ra,Ilaria,Ferraro,Office manager,"
        "i@example.it\n"
    )
    assert mapping.columns["Titolo"] == "job_title"
    assert normalise_row(row.values, "IT").fields["job_title"] == "Office manager"


def test_a_title_column_alone_is_the_job_title_unless_it_holds_salutations():
    jobs, _rows = _read("Email,Title\na@example.it,Buyer\nb@example.it,\n")
    assert jobs.columns["Title"] == "job_title"
    salutations, _rows = _read("Email,Title\na@example.it,Sig.\nb@example.it,Mr\n")
    assert "Title" in salutations.unmapped


def test_activecampaigns_account_is_the_company_and_a_login_is_not():
    mapping, _rows = _read("Email,Account\na@example.it,Valli Moda\n")
    assert mapping.columns["Account"] == "company"
    logins, _rows = _read("Email,Account\na@example.it,mrossi\nb@example.it,a.bianchi\n")
    assert "Account" in logins.unmapped


# 3. Consent questions, consent times, and Brevo's two opt-ins


@pytest.mark.parametrize(
    "header",
    [
        "Acconsento al trattamento dei dati per finalità di marketing",
        "acconsento_a_ricevere_comunicazioni_commerciali_via_email",
        "Acconsento a ricevere comunicazioni di marketing via email",
        "Tieni aggiornato su altri eventi e notizie da questo organizzatore",
        "acceptance-marketing",
    ],
)
def test_a_consent_question_about_marketing_is_the_email_opt_in(header):
    assert readers.interpret_header(header) == ("email_opt_in", "")


@pytest.mark.parametrize(
    "header",
    [
        "Acconsento al trattamento dei dati personali",
        "acceptance-privacy",
        "Ho letto l'informativa sulla privacy",
        "Acconsento alla cessione dei dati a terzi per finalità di marketing",
    ],
)
def test_a_consent_for_the_service_or_another_purpose_is_not_the_email_opt_in(header):
    assert readers.interpret_header(header) == ("", "")


def test_a_negative_marketing_question_is_the_opt_out():
    assert readers.interpret_header("Non desidero ricevere la newsletter") == (
        "email_opt_out",
        "",
    )


def test_a_form_answer_in_words_is_understood():
    _mapping, rows = _read(
        "Email,Acconsento al trattamento dei dati per finalità di marketing\n"
        'a@example.it,"Sì, acconsento"\nb@example.it,"No, non acconsento"\n'
    )
    assert [_consents(row) for row in rows] == [
        [("email_marketing", "granted")],
        [("email_marketing", "refused")],
    ]
    assert consents_from_columns(rows[1].values)[1] == []  # no warning either


def test_the_consent_date_beside_the_opt_in_is_the_time_of_the_consent():
    _mapping, [row] = _read(
        "Email;Consenso newsletter;Data consenso\nl@example.it;SI;12/03/2023\n".replace(";", ",")
    )
    [fact], warnings = consents_from_columns(row.values)
    assert warnings == []
    assert fact.recorded_at == datetime(2023, 3, 12, tzinfo=UTC)
    assert fact.evidence["email_consent_time"] == "12/03/2023"


def test_klaviyos_consent_timestamp_dates_its_grant_and_its_withdrawal():
    mapping, rows = _read_fixture("klaviyo_profili.csv")
    granted, withdrawn = (consents_from_columns(r.values)[0][0] for r in rows)
    assert mapping.columns["Klaviyo ID"] == "external_id"
    assert mapping.columns["Title"] == "job_title"
    assert (granted.status, granted.recorded_at) == (
        "granted",
        datetime(2024, 2, 10, 11, 22, 35, tzinfo=UTC),
    )
    assert (withdrawn.status, withdrawn.recorded_at) == (
        "withdrawn",
        datetime(2024, 4, 1, 21, 10, tzinfo=UTC),
    )


def test_a_consent_date_never_dates_an_opt_out_column():
    _mapping, [row] = _read("Email,Email Opt Out,Data consenso\na@example.it,1,12/03/2023\n")
    [fact], _warnings = consents_from_columns(row.values)
    assert (fact.status, fact.recorded_at) == ("withdrawn", None)


def test_brevos_simple_opt_in_stands_when_its_double_opt_in_says_no():
    mapping, rows = _read_fixture("brevo_contatti_it.csv")
    assert mapping.columns["OPT_IN"] == mapping.columns["DOUBLE_OPT-IN"] == "email_opt_in"
    assert _consents(rows[0]) == [("email_marketing", "granted")]
    assert _consents(rows[1]) == [("email_marketing", "withdrawn")]  # EMAIL_BLACKLISTED


# 4. SMS marketing


def test_sms_consents_are_of_the_sms_marketing_purpose():
    irene = _read_fixture("brevo_contatti_it.csv")[1][2]
    assert _consents(irene) == [("email_marketing", "granted"), ("sms_marketing", "withdrawn")]
    shopify_csv = "Email,Accepts Email Marketing,Accepts SMS Marketing\na@x.it,no,yes\n"
    _mapping, [shopify] = _read(shopify_csv)
    assert _consents(shopify) == [("email_marketing", "refused"), ("sms_marketing", "granted")]
    giorgia, dario = _read_fixture("klaviyo_profili.csv")[1]
    assert ("sms_marketing", "granted") in _consents(giorgia)
    assert [p for p, _s in _consents(dario)] == ["email_marketing"]  # NEVER_SUBSCRIBED


# 5. Pipedrive in Italian


def test_pipedrives_italian_persons_export_maps_as_its_english_one():
    mapping, [row] = _read(
        "Persona - ID,Persona - Nome,Persona - Nome di battesimo,Persona - Cognome,"
        "Persona - Organizzazione,Persona - E-mail - Lavoro,Persona - Telefono - Cellulare,"
        "Persona - Proprietario,Persona - Stato marketing\n"
        "1202,Marta Parisi,Marta,Parisi,Parisi Srl,marta@example.it,+39 333 9988776,"
        "Sara Neri,Disiscritto\n"
    )
    norm = normalise_row(row.values, "IT")
    assert norm.external_id == "1202"
    assert (norm.fields["first_name"], norm.fields["last_name"]) == ("Marta", "Parisi")
    assert norm.fields["company"] == "Parisi Srl"
    assert (norm.emails, norm.phones) == (["marta@example.it"], ["+393339988776"])
    assert "Persona - Proprietario" in mapping.unmapped
    assert _consents(row) == [("email_marketing", "withdrawn")]


# 6. A first-name column of whole names


def test_a_nome_of_whole_names_without_a_surname_column_is_the_full_name():
    mapping, rows = _read_fixture("clienti_woocommerce_it.csv")
    assert mapping.columns["Nome"] == "full_name"
    assert mapping.settled == {"Nome": "full_name"}
    names = [normalise_row(r.values, "IT").fields for r in rows]
    assert [(n["first_name"], n["last_name"]) for n in names] == [
        ("Giuseppe", "Russo"),
        ("Maria Grazia", "Pellegrini"),
        ("Antonio", "De Santis"),
    ]
    assert names[0]["country"] == "IT"  # Paese/regione


def test_a_nome_of_given_names_stays_the_first_name():
    mapping, _rows = _read("Nome,Email\nMaria Grazia,a@example.it\nAnna,b@example.it\n")
    assert mapping.columns["Nome"] == "first_name"


def test_a_mapping_chosen_by_hand_is_not_read_again_by_values():
    text = "Nome,Email\nGiuseppe Russo,a@example.it\n"
    mapping, _rows = readers.read_csv(
        io.BytesIO(text.encode()), overrides={"Nome": "first_name", "Email": "email"}
    )
    assert mapping.columns["Nome"] == "first_name"


# 7. Forms' question headers


def test_a_forms_question_headers_map_to_the_fields_they_ask_for():
    mapping, _rows = _read(
        "#,Come ti chiami?,E il tuo cognome?,Qual è la tua email?,Il tuo numero di telefono\n"
        "a1,Valentina,Rizzo,v@example.it,+393389988776\n"
    )
    assert mapping.columns == {
        "Come ti chiami?": "first_name",
        "E il tuo cognome?": "last_name",
        "Qual è la tua email?": "email",
        "Il tuo numero di telefono": "phone",
    }
    cf7, _rows = _read('"your-name","your-email","your-subject"\n"Carla Bruno","c@x.it","Ciao"\n')
    assert cf7.columns == {"your-name": "full_name", "your-email": "email"}


# 8. The rest


def test_a_phone_in_scientific_notation_is_one_warning_on_its_own_column():
    _mapping, [row] = _read(
        "Cognome;Nome;Telefono;Cellulare;E-mail\nD'Angelo;Lucia;;3,47123E+09;l@example.it\n"
    )
    norm = normalise_row(row.values, "IT")
    assert norm.phones == []
    assert norm.warnings == [
        ("Cellulare", "the spreadsheet turned the number into 3.47E+09; the digits are lost")
    ]


def test_meta_lead_status_created_is_a_lead_without_a_warning():
    _mapping, [row] = _read("email,lead_status\na@example.it,CREATED\n")
    norm = normalise_row(row.values, "IT")
    assert (norm.stage, norm.warnings) == ("lead", [])


def test_eventbrites_keep_me_updated_is_the_buyers_and_counts_for_the_buyer_only(app):
    text = (
        "Order #,First Name,Last Name,Email,Buyer First Name,Buyer Last Name,Buyer Email,"
        "Keep me updated on more events and news from this event organizer.\n"
        "1,Lorenzo,Fabbri,lorenzo@example.it,Lorenzo,Fabbri,lorenzo@example.it,Yes\n"
        "1,Giada,Fabbri,giada@example.it,Lorenzo,Fabbri,lorenzo@example.it,Yes\n"
    )
    mapping = readers.map_headers(text.splitlines()[0].split(","))
    assert mapping.columns["Buyer Email"] == "buyer_email"
    assert mapping.columns[text.splitlines()[0].split(",")[-1]] == "buyer_opt_in"
    ingest.import_stream(io.BytesIO(text.encode()), filename="attendees.csv", source_name="eb")
    consents = {c.profile_id: c.status for c in db.session.scalars(select(ConsentRecord))}
    lorenzo = db.session.scalar(
        select(ProfileEmail.profile_id).where(ProfileEmail.email == "lorenzo@example.it")
    )
    assert consents == {lorenzo: "granted"}  # Giada's ticket was bought for her: no consent


@pytest.mark.parametrize(
    "header",
    [
        "Revoca consenso marketing",
        "Consenso marketing revocato",
        "Revoca del consenso alla newsletter",
        "I withdraw my consent to marketing",
        "Data revoca consenso marketing",
    ],
)
def test_a_consent_question_that_withdraws_is_an_opt_out(header):
    # "Sì" under such a header is a withdrawal: read as an opt-in it granted what the
    # person revoked.
    assert readers.map_headers(["Email", header]).columns[header] == "email_opt_out"
    fact = consents_from_columns({"email": "a@example.it", "email_opt_out": "Sì"})[0][0]
    assert fact.status == "withdrawn"


@pytest.mark.parametrize(
    "header",
    [
        "Acconsento al trattamento dei dati per finalità di marketing (non obbligatorio)",
        "I agree to receive marketing emails. You can unsubscribe at any time",
    ],
)
def test_an_aside_after_a_consent_question_does_not_turn_it_into_an_opt_out(header):
    assert readers.map_headers(["Email", header]).columns[header] == "email_opt_in"


def test_posta_elettronica_is_email_not_the_post():
    header = "Non desidero ricevere comunicazioni commerciali via posta elettronica"
    assert readers.map_headers(["Email", header]).columns[header] == "email_opt_out"


def test_keep_me_updated_without_a_buyer_email_counts_for_the_attendee_named_as_buyer(app):
    text = (
        "Order #,First Name,Last Name,Email,Buyer First Name,Buyer Last Name,"
        "Keep me updated on more events and news from this event organizer.\n"
        "1,Lorenzo,Fabbri,lorenzo@example.it,Lorenzo,Fabbri,Yes\n"
        "1,Giada,Fabbri,giada@example.it,Lorenzo,Fabbri,Yes\n"
    )
    ingest.import_stream(io.BytesIO(text.encode()), filename="attendees.csv", source_name="eb")
    granted = db.session.scalars(select(ConsentRecord.profile_id)).all()
    lorenzo = db.session.scalar(
        select(ProfileEmail.profile_id).where(ProfileEmail.email == "lorenzo@example.it")
    )
    assert granted == [lorenzo]


def test_a_cleaned_member_without_an_opt_in_time_states_no_consent():
    values = {"email": "a@example.it", "subscription_status": "cleaned", "clean_time": "2024-02-01"}
    assert consent_from_row("mailchimp", values) is None
    dated = consent_from_row("mailchimp", {**values, "optin_time": "2022-01-05 10:00:00"})
    assert dated.status == "granted" and dated.evidence["status"] == "cleaned"
