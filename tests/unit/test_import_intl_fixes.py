"""Exports from other countries and tools, and API records, read as an import reads them:
addresses split over prefixed and plain columns, German, French and Spanish headers and
stages, generational suffixes, names as each country writes them, and what a record holds
that reaches no field."""

import io
from pathlib import Path

import pytest
from sqlalchemy import select

from crm.extensions import db
from crm.models import MAX_EMAILS, MAX_PHONES, MAX_TAGS, ImportRejection, Profile
from crm.services import ingest, profiles, readers
from crm.services.rows import (
    FIRST_NAME_ONLY,
    SUFFIX_NOT_GENERATION,
    normalise_row,
    normalise_stage,
    split_full_name,
)
from tests import factories

FIXTURES = Path(__file__).parent.parent / "fixtures" / "imports"


def _read(text: str):
    """(mapping, rows) of a CSV text."""
    mapping, rows = readers.read_csv(io.BytesIO(text.encode()))
    return mapping, list(rows)


def _normalised(name: str, region: str = "IT"):
    """(mapping, normalised rows) of a fixture file."""
    mapping, rows = readers.read_csv(io.BytesIO((FIXTURES / name).read_bytes()))
    return mapping, [normalise_row(row.values, region) for row in rows]


def _import(text: str, source: str = "web") -> dict:
    """Import a CSV text from source."""
    stream = io.BytesIO(text.encode())
    return ingest.import_stream(stream, filename="people.csv", source_name=source)


def _profile(email: str) -> Profile:
    return profiles.search_profiles(email)[0][0]


# 1. A prefixed street beside plain City / Postcode / Country columns


def test_a_prefixed_street_is_completed_by_the_plain_city_postcode_and_country():
    _mapping, [row] = _read(
        "First Name,Last Name,Email,Mailing Street,City,Postcode,Country\n"
        "Anna,Lang,anna@example.de,Hauptstraße 1,Berlin,10115,DE\n"
    )
    norm = normalise_row(row.values, "IT")
    address = [norm.fields.get(k) for k in ("address", "postcode", "city", "country")]
    assert address == ["Hauptstraße 1", "10115", "Berlin", "DE"]
    assert norm.warnings == []


def test_a_billing_street_beside_a_plain_zip_and_country_reads_the_phone_there():
    _mapping, [row] = _read(
        "First Name,Last Name,Email,Billing Street,Billing City,Zip,Country,Phone\n"
        "Bob,Lee,bob@example.com,1 Main St,Boston,02101,US,617 555 0123\n"
    )
    norm = normalise_row(row.values, "IT")
    assert (norm.fields["postcode"], norm.fields["country"]) == ("02101", "US")
    assert norm.phones == ["+16175550123"]


def test_a_plain_column_at_odds_with_the_address_taken_is_reported_not_dropped_silently():
    _mapping, [row] = _read(
        "Email,Mailing Street,Mailing City,City,Country\n"
        "anna@example.de,Hauptstraße 1,Berlin,Potsdam,DE\n"
    )
    norm = normalise_row(row.values, "IT")
    assert (norm.fields["city"], norm.fields["country"]) == ("Berlin", "DE")
    assert norm.warnings == [("City", readers.OTHER_ADDRESS)]


def test_two_whole_addresses_still_give_the_row_the_first_one():
    # A plain street of its own is an address like the prefixed ones: no stitching.
    _mapping, [row] = _read(
        "Email,Street,City,Shipping Street,Shipping City\n"
        "anna@example.it,Via Po 1,Torino,Via Roma 2,Milano\n"
    )
    assert (row.values["address"], row.values["city"]) == ("Via Po 1", "Torino")
    assert row.values.left_out == []


def test_an_import_keeps_the_plain_columns_of_a_prefixed_address(app):
    summary = _import(
        "First Name,Last Name,Email,Mailing Street,City,Zip,Country,Phone\n"
        "Bob,Lee,bob@example.com,1 Main St,Boston,02101,US,617 555 0123\n"
    )
    assert (summary["created"], summary["warnings"]) == (1, 0)
    profile = _profile("bob@example.com")
    assert [p.phone for p in profile.phones] == ["+16175550123"]
    assert (profile.address, profile.postcode, profile.city, profile.country) == (
        "1 Main St",
        "02101",
        "Boston",
        "US",
    )


# 2. German, French and Spanish exports of HubSpot and Outlook, and generic files


@pytest.mark.parametrize(
    "header, field, group",
    [
        ("Land/Region", "country", ""),
        ("Pays/région", "country", ""),
        ("País/Región", "country", ""),
        ("Mobiltelefonnummer", "phone", ""),
        ("Numéro de téléphone mobile", "phone", ""),
        ("Téléphone portable", "phone", ""),
        ("Teléfono móvil", "phone", ""),
        ("Datensatz-ID", "external_id", ""),
        ("ID de la fiche d'informations", "external_id", ""),
        ("Lebenszyklusphase", "stage", ""),
        ("Phase du cycle de vie", "stage", ""),
        ("Fase del ciclo de vida", "stage", ""),
        ("Nom de l'entreprise", "company", ""),
        ("Nombre de la empresa", "company", ""),
        ("Adresse de messagerie", "email", ""),
        ("Suffix", "name_suffix", ""),
        ("Namenszusatz", "name_suffix", ""),
        # Outlook's address groups in German, French and Spanish.
        ("Straße geschäftlich", "address", "geschaftlich"),
        ("Straße geschäftlich 2", "address_line_2", "geschaftlich"),
        ("Land/Region geschäftlich", "country", "geschaftlich"),
        ("Telefon geschäftlich", "phone", ""),
        ("Ort privat", "city", "privat"),
        ("Rue (bureau)", "address", "bureau"),
        ("Dép/Région (bureau)", "state", "bureau"),
        ("Pays/Région (domicile)", "country", "domicile"),
        ("Rue professionnelle", "address", "professionnel"),
        ("Code postal professionnel", "postcode", "professionnel"),
        ("Téléphone privé", "phone", ""),
        ("Calle del trabajo", "address", "trabajo"),
        ("Ciudad de trabajo", "city", "trabajo"),
        ("País o región del trabajo", "country", "trabajo"),
        ("Teléfono particular", "phone", ""),
        # Others' phones stay unmapped in these languages too.
        ("Telefon Assistent", "", ""),
    ],
)
def test_german_french_and_spanish_headers_are_read(header, field, group):
    assert readers.interpret_header(header) == (field, group)


def test_a_german_hubspot_export_keeps_ids_mobiles_countries_and_stages():
    mapping, rows = _normalised("intl_hubspot_de.csv")
    assert mapping.unmapped == ["Erstellungsdatum"]
    weiss, schmidt, mueller, oestergaard = rows
    assert [r.external_id for r in rows] == ["501", "502", "503", "504"]
    # Berlin's landline is German, never Italian, beside the mobile.
    assert weiss.phones == ["+49301234567", "+4915298765432"]
    assert [r.stage for r in rows] == ["lead", "customer", "mql", "sql"]
    assert schmidt.fields["country"] == "DE" and mueller.fields["company"] == "Müller Logistik"
    # A Danish postcode keeps its four digits.
    assert (oestergaard.fields["country"], oestergaard.fields["postcode"]) == ("DK", "1165")


def test_a_french_hubspot_export_reads_its_landlines_in_france():
    mapping, rows = _normalised("intl_hubspot_fr.csv")
    assert mapping.unmapped == []
    fontaine, elodie, marie = rows
    assert fontaine.external_id == "9001" and fontaine.fields["company"] == "Fontaine SA"
    assert elodie.phones == ["+33478123456", "+33781234567"]
    assert [r.stage for r in rows] == ["customer", "mql", "sql"]
    assert marie.warnings == []


def test_a_german_outlook_export_takes_the_business_or_the_private_address():
    _mapping, (becker, lang) = _normalised("intl_outlook_de.csv")
    assert becker.fields["last_name"] == "Becker Jr."
    assert [becker.fields[k] for k in ("address", "address_line_2", "postcode", "country")] == [
        "Marktplatz 3",
        "Hinterhaus",
        "79098",
        "DE",
    ]
    assert becker.phones == ["+49761123456", "+4915123456789"]  # no fax
    assert [lang.fields[k] for k in ("address", "city", "postcode", "country")] == [
        "Lindenweg 5",
        "Wien",
        "1010",
        "AT",
    ]
    assert lang.phones == ["+4315123456", "+436641234567"]
    assert lang.emails == ["ute.lang@example.at", "ute@example.org"]


def test_a_french_outlook_export_is_read_whole():
    _mapping, [martin] = _normalised("intl_outlook_fr.csv")
    assert martin.fields["last_name"] == "Martin III"
    assert (martin.fields["city"], martin.fields["state"], martin.fields["country"]) == (
        "Lille",
        "Nord",
        "FR",
    )
    assert martin.phones == ["+33320123450", "+33611223344"]
    assert martin.fields["birth_date"] == "1970-03-12"


def test_a_generic_french_file_keeps_its_mobile():
    _mapping, [row] = _read(
        "Prénom;Nom;Adresse e-mail;Téléphone;Téléphone portable;Pays\n"
        "Élodie;Lefèvre;elodie@example.fr;04 78 12 34 56;07 81 23 45 67;France\n"
    )
    assert normalise_row(row.values, "IT").phones == ["+33478123456", "+33781234567"]


@pytest.mark.parametrize(
    "text, stage",
    [
        ("Abonnent", "lead"),
        ("Interessent", "lead"),
        ("Marketingqualifizierter Lead", "mql"),
        ("Marketing-qualifizierter Lead", "mql"),
        ("Vertriebsqualifizierter Lead", "sql"),
        ("Kunde", "customer"),
        ("Evangelist", "customer"),
        ("Abonné", "lead"),
        ("Lead qualifié marketing", "mql"),
        ("Lead qualifié pour la vente", "sql"),
        ("Opportunité", "sql"),
        ("Client", "customer"),
        ("Ambassadeur", "customer"),
        ("Suscriptor", "lead"),
        ("Lead calificado para marketing", "mql"),
        ("Lead calificado para ventas", "sql"),
        ("Oportunidad", "sql"),
        ("Cliente", "customer"),
        ("Sonstiges", None),
    ],
)
def test_hubspots_stages_in_german_french_and_spanish(text, stage):
    assert normalise_stage(text) == stage


def test_a_changed_email_in_a_german_hubspot_export_updates_its_record(app):
    header = "Datensatz-ID,Vorname,Nachname,E-Mail,Lebenszyklusphase\n"
    _import(header + "505,Friedrich,zu Hohenlohe,f.hohenlohe@example.de,Lead\n", "hubspot")
    summary = _import(header + "505,Friedrich,zu Hohenlohe,fritz@example.de,Kunde\n", "hubspot")
    assert (summary["created"], summary["updated"]) == (0, 1)
    assert db.session.query(Profile).count() == 1
    assert _profile("fritz@example.de").stage == "customer"


# 2b. Outlook's suffix column reaches the last name


def test_a_suffix_column_joins_the_last_name_once():
    row = normalise_row({"first_name": "John", "last_name": "Smith", "name_suffix": "jr."}, "US")
    assert row.fields["last_name"] == "Smith Jr."
    row = normalise_row(
        {"first_name": "John", "last_name": "Smith III", "name_suffix": "III"}, "US"
    )
    assert row.fields["last_name"] == "Smith III" and row.warnings == []


def test_a_title_in_the_suffix_column_is_reported_not_made_a_surname():
    row = normalise_row({"first_name": "Ann", "last_name": "Lee", "name_suffix": "PhD"}, "US")
    assert row.fields["last_name"] == "Lee"
    assert row.warnings == [("name_suffix", SUFFIX_NOT_GENERATION)]


# 3. Generational suffixes in a full name


@pytest.mark.parametrize(
    "full, first, last",
    [
        ("John Smith Jr.", "John", "Smith Jr."),
        ("John Smith Sr", "John", "Smith Sr"),
        ("Robert Johnson III", "Robert", "Johnson III"),
        ("Robert Johnson iii", "Robert", "Johnson III"),
        ("Henry Ford II", "Henry", "Ford II"),
        ("John Smith, Jr.", "John", "Smith Jr."),
        ("Smith, John, Jr.", "John", "Smith Jr."),
        ("Mr. John Q. Public IV", "John Q.", "Public IV"),
    ],
)
def test_a_generational_suffix_stays_with_the_surname(full, first, last):
    assert split_full_name(full) == (first, last)


def test_a_suffix_keeps_its_capitals_in_a_name_written_in_capitals():
    row = normalise_row({"full_name": "ROBERT JOHNSON III"}, "US")
    assert (row.fields["first_name"], row.fields["last_name"]) == ("Robert", "Johnson III")
    row = normalise_row({"first_name": "Robert", "last_name": "JOHNSON III"}, "US")
    assert row.fields["last_name"] == "Johnson III"


def test_a_father_and_son_on_one_landline_stay_two_people(app):
    header = "Full Name,Email,Phone,Street,ZIP,City,State,Country\n"
    place = "(217) 555-0134,45 Elm Street,62704,Springfield,IL,US\n"
    _import(header + f"John Smith Sr.,jsmith@example.com,{place}", "crm")
    summary = _import(header + f"John Smith Jr.,john.jr@example.com,{place}", "shop")
    assert summary["merged"] == 0
    son = _profile("john.jr@example.com")
    assert (son.first_name, son.last_name) == ("John", "Smith Jr.")
    assert _profile("jsmith@example.com").last_name == "Smith Sr."


# 4. Names as Spanish, Portuguese, Arabic and East Asian people write them


@pytest.mark.parametrize(
    "full, country, first, last",
    [
        ("María García López", "ES", "María", "García López"),
        ("Gabriel García Márquez", "CO", "Gabriel", "García Márquez"),
        ("José Luis de los Ríos", "ES", "José Luis", "de los Ríos"),
        ("José Luis García", "ES", "José Luis", "García"),
        ("María del Carmen García López", "ES", "María del Carmen", "García López"),
        ("Juan Pérez y Gómez", "MX", "Juan", "Pérez y Gómez"),
        ("Ana María de la Cruz", "ES", "Ana María", "de la Cruz"),
        ("João da Silva Gonçalves", "BR", "João", "da Silva Gonçalves"),
        ("Maria Fernanda Costa Pereira", "PT", "Maria Fernanda", "Costa Pereira"),
        ("João da Silva Filho", "BR", "João", "da Silva Filho"),
        ("Mohamed El Rashid", "AE", "Mohamed", "El Rashid"),
        ("Abdullah bin Salman", "SA", "Abdullah", "bin Salman"),
        ("Ahmad ibn Hanbal", None, "Ahmad", "ibn Hanbal"),
        # Family name first: in Chinese, Japanese or Korean writing always...
        ("王伟", "CN", "伟", "王"),
        ("欧阳修", "CN", "修", "欧阳"),
        ("田中 宏", "JP", "宏", "田中"),
        ("김민준", "KR", "민준", "김"),
        # ... and in Latin script where a known family name opens the name.
        ("Wang Xiaoming", "CN", "Xiaoming", "Wang"),
        ("Tanaka Hiroshi", "JP", "Hiroshi", "Tanaka"),
        ("Kim Min-jun", "KR", "Min-jun", "Kim"),
        ("Nguyen Van An", "VN", "Van An", "Nguyen"),
        ("Nagy László", "HU", "László", "Nagy"),
    ],
)
def test_a_full_name_is_split_as_the_rows_country_writes_it(full, country, first, last):
    assert split_full_name(full, country=country) == (first, last)


@pytest.mark.parametrize(
    "full, country, first, last",
    [
        ("Hiroshi Tanaka", "JP", "Hiroshi", "Tanaka"),  # a Western export's order
        ("Wei Wang", "CN", "Wei", "Wang"),
        ("田中宏", "JP", "田中宏", None),  # a Japanese family name has no one length
        ("ジョン・スミス", "JP", "ジョン・スミス", None),  # a foreign name in kana
        ("Maria Grazia De Luca", "IT", "Maria Grazia", "De Luca"),
        ("Anna Maria Rossi Bianchi", "IT", "Anna Maria Rossi", "Bianchi"),
    ],
)
def test_only_what_a_name_shows_changes_its_order(full, country, first, last):
    assert split_full_name(full, country=country) == (first, last)


def test_a_row_reads_its_full_name_by_its_own_country():
    row = normalise_row({"full_name": "María García López", "country": "España"}, "IT")
    assert (row.fields["first_name"], row.fields["last_name"]) == ("María", "García López")


# 5. A first name alone


def test_a_row_with_only_a_first_name_is_rejected():
    assert normalise_row({"first_name": "Max"}, "IT").reject_reason == FIRST_NAME_ONLY
    assert normalise_row({"first_name": "Max", "city": "Berlin"}, "IT").reject_reason
    for more in ({"last_name": "Lang"}, {"company": "Acme"}, {"external_id": "7"}):
        assert normalise_row({"first_name": "Max", **more}, "IT").reject_reason is None


def test_a_first_name_with_a_mistyped_email_still_imports_for_someone_to_complete():
    row = normalise_row({"first_name": "Max", "email": "max@"}, "IT")
    assert row.reject_reason is None and row.warnings[0][0] == "email"


def test_an_api_record_with_only_a_first_name_is_rejected_with_its_reason(app):
    [result] = factories.import_records("shop", {"first_name": "Max"})
    assert (result["outcome"], result["reasons"]) == ("rejected", [FIRST_NAME_ONLY])


# 6. Unknown keys of an API or JSON Lines record


def test_an_api_record_names_its_unknown_keys_in_warnings(app):
    [result] = factories.import_records(
        "shop",
        {
            "external_id": "UK-1",
            "frist_name": "Primo",
            "last_name": "Levi",
            "emial": "primo@example.it",
            "phone": "+39 333 9998811",
            "consents": [],
            "notes": None,  # nothing held: nothing to say
        },
    )
    assert result["outcome"] == "created"
    assert result["warnings"] == [
        {"field": "frist_name", "reason": readers.UNKNOWN_KEY},
        {"field": "emial", "reason": readers.UNKNOWN_KEY},
    ]


def test_a_json_lines_files_unknown_keys_are_named_once_for_the_file_not_per_row(app):
    data = (
        b'{"id": "1", "first_name": "Anna", "last_name": "Rossi", "scanned_at": "2024-03-05"}\n'
        b'{"id": "2", "first_name": "Ugo", "last_name": "Riva", "scanned_at": "2024-03-05"}\n'
    )
    summary = ingest.import_stream(io.BytesIO(data), filename="scans.jsonl", source_name="fair")
    assert summary["warnings"] == 0
    assert db.session.scalar(select(ImportRejection)) is None


# 7. The profile API's limits of emails, phones and tags


def test_an_api_record_keeps_the_first_emails_phones_and_tags_within_the_limits(
    app, client, api_headers
):
    emails = [f"mail{n}@example.it" for n in range(MAX_EMAILS + 5)]
    phones = [f"+39 333 100{n:04d}" for n in range(MAX_PHONES + 5)]
    tags = [f"interest-{n}" for n in range(MAX_TAGS + 50)]
    hoarder, tagged = factories.import_records(
        "limits",
        {"external_id": "L1", "last_name": "Hoarder", "emails": emails, "phones": phones},
        {"external_id": "L2", "last_name": "Tagger", "email": "t@example.it", "tags": tags},
    )
    assert [w["field"] for w in hoarder["warnings"]] == ["email", "phone"]
    assert [w["field"] for w in tagged["warnings"]] == ["tags"]
    profile = _profile("mail0@example.it")
    assert [e.email for e in profile.emails] == emails[:MAX_EMAILS]
    assert len(profile.phones) == MAX_PHONES
    tagger = _profile("t@example.it")
    assert len(tagger.tags) == MAX_TAGS
    # What the importer made, the API can edit.
    headers = api_headers("admin")
    for person, key, value in (
        (profile, "emails", emails[:MAX_EMAILS]),
        (tagger, "tags", [t.name for t in tagger.tags]),
    ):
        response = client.patch(f"/api/v1/profiles/{person.id}", json={key: value}, headers=headers)
        assert response.status_code == 200, response.get_json()


def test_the_limit_warnings_say_how_many_were_kept():
    row = normalise_row({"tags": "; ".join(f"t{n}" for n in range(MAX_TAGS + 1))}, "IT")
    assert len(row.tags) == MAX_TAGS
    assert row.warnings == [("tags", f"more than {MAX_TAGS} tags: the first {MAX_TAGS} are kept")]


# 8. A lead status where the lifecycle stage cell is empty


def test_a_lead_status_gives_the_stage_of_a_row_whose_lifecycle_stage_is_empty():
    mapping, (empty, stated) = _read(
        "Record ID,First Name,Last Name,Email,Lifecycle Stage,Lead Status\n"
        "H2,Remo,Sarti,remo@example.it,,Pre-Qualified\n"
        "H3,Rita,Sarti,rita@example.it,Customer,Pre-Qualified\n"
    )
    assert mapping.columns["Lead Status"] == "lead_status"
    assert normalise_row(empty.values, "IT").stage == "mql"
    assert normalise_row(stated.values, "IT").stage == "customer"


def test_a_lead_status_alone_is_still_the_stage_column():
    mapping, [row] = _read("Email,Lead Status\nremo@example.it,Open Deal\n")
    assert mapping.columns["Lead Status"] == "stage"
    assert normalise_row(row.values, "IT").stage == "sql"
