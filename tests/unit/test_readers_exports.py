"""Reading the headers of other tools' exports: columns about another person, lifecycle
stages and lead statuses, marketing statuses, Italian headers, tool-specific columns."""

import io

import pytest

from crm.services import readers
from crm.services.rows import consent_from_columns, normalise_row


def _read(text: str, **kwargs):
    mapping, rows = readers.read_csv(io.BytesIO(text.encode()), **kwargs)
    return mapping, list(rows)


# Columns about another person than the row's


@pytest.mark.parametrize(
    "header",
    [
        "Buyer Email",  # Eventbrite: who paid for the ticket, not who attends
        "Buyer First Name",
        "Buyer Last Name",
        "Buyer Phone",
        "Purchaser Email",
        "Purchaser Name",
        "Ordered By",
        "Orderer Email",
        "Contact owner",  # a user of the CRM, not the contact
        "Contact Owner Email",
        "Lead Owner",
        "Record owner",
        "Owner Phone",
        "Referrer Email",
        "Referred By Email",
        "Assistant Email",
        "Assistant Phone",
        "Manager Email",
        "Emergency Contact Phone",
        "Emergency Contact Name",
        "Spouse Email",
        "Spouse Name",
        "Guardian Email",
        "Parent Phone",
        "Email acquirente",
        "Acquirente - Email",
        "Nome acquirente",
        "Telefono del coniuge",
        "Proprietario del contatto",
        "Email referente",  # a company's contact person or a sales rep: never guessed
    ],
)
def test_columns_about_another_person_stay_unmapped(header):
    assert readers.interpret_header(header) == ("", "")
    assert readers.map_headers(["Email", "First Name", header]).unmapped == [header]


@pytest.mark.parametrize(
    ("header", "field", "group"),
    [
        ("Billing Phone", "phone", ""),
        ("Shipping Address", "address", "shipping"),
        ("Work Email", "email", ""),
        ("Home Phone", "phone", ""),
        ("Business Street", "address", "business"),
        ("Customer Email", "email", ""),
        ("Attendee Email", "email", ""),
        ("Person - Phone - Mobile", "phone", ""),
    ],
)
def test_the_persons_own_columns_under_a_qualifier_are_still_read(header, field, group):
    assert readers.interpret_header(header) == (field, group)


def test_an_eventbrite_buyers_email_is_not_the_attendees():
    text = (
        "Order #,First Name,Last Name,Email,Buyer Last Name,Buyer First Name,Buyer Email,"
        "Buyer Phone,Company\n"
        "9001,Sara,Longo,sara@example.it,Galli,Chiara,chiara@example.it,333 1234567,Galli\n"
        "9001,Matteo,Fontana,,Galli,Chiara,chiara@example.it,333 1234567,Galli\n"
    )
    mapping, rows = _read(text)
    assert mapping.columns == {
        "First Name": "first_name",
        "Last Name": "last_name",
        "Email": "email",
        "Company": "company",
    }
    assert rows[0].values["email"] == "sara@example.it"
    assert "email" not in rows[1].values and "phone" not in rows[1].values
    assert rows[1].raw["Buyer Email"] == "chiara@example.it"  # kept in the raw payload


def test_a_file_of_buyers_only_reads_the_buyer_as_the_rows_person():
    # An orders export names no one but the buyer: each row is the buyer, whole.
    mapping = readers.map_headers(
        ["Order #", "Buyer First Name", "Buyer Last Name", "Buyer Email", "Total"]
    )
    assert mapping.columns == {
        "Buyer First Name": "first_name",
        "Buyer Last Name": "last_name",
        "Buyer Email": "email",
    }
    # Another person's columns never are, even so.
    mapping = readers.map_headers(["Order #", "Buyer Email", "Contact owner", "Spouse Email"])
    assert mapping.columns == {"Buyer Email": "email"}


# Lifecycle stage and lead status


@pytest.mark.parametrize(
    "headers",
    [
        ["Record ID", "Email", "Lead Status", "Lifecycle Stage", "Create Date"],
        ["Record ID", "Email", "Lifecycle Stage", "Lead Status", "Create Date"],
        ["Email", "Stage", "Lifecycle Stage"],
        ["Email", "Stato lead", "Fase", "Fase del ciclo di vita"],
    ],
)
def test_the_lifecycle_stage_takes_the_stage_wherever_it_stands(headers):
    mapping = readers.map_headers(headers, readers.detect_format(headers))
    lifecycle = next(h for h in headers if "ciclo" in h or h.startswith("Lifecycle"))
    stage_columns = [h for h, f in mapping.columns.items() if f == "stage"]
    assert stage_columns == [lifecycle]


def test_a_hubspot_export_in_alphabetical_order_reads_its_lifecycle_stage():
    text = (
        "Record ID,Create Date,Email,Lead Status,Lifecycle Stage\n"
        "1,2024-01-01 10:00,giulia@example.it,Open Deal,Customer\n"
    )
    mapping, rows = _read(text)
    assert mapping.format == "hubspot"
    assert normalise_row(rows[0].values, "IT").stage == "customer"
    assert normalise_row(rows[0].values, "IT").warnings == []


@pytest.mark.parametrize("header", ["Lead Status", "Stato lead", "Stato del lead"])
def test_a_lead_status_is_the_stage_only_where_the_file_has_no_other(header):
    # Some files keep "Cliente" there; a lead status ("Open - Not Contacted") says a lead.
    assert readers.map_headers(["Lead ID", "Email", header]).columns[header] == "stage"
    mapping = readers.map_headers(["Lead ID", header, "Stage"])
    assert mapping.columns["Stage"] == "stage" and mapping.rivals == {header: "Stage"}


def test_a_chosen_column_wins_its_field_over_a_preferred_one():
    mapping = readers.map_headers(["Stage", "Lifecycle Stage"], overrides={"Stage": "stage"})
    assert mapping.columns == {"Stage": "stage"}
    assert mapping.rivals == {"Lifecycle Stage": "Stage"}


# Marketing statuses and opt-outs


@pytest.mark.parametrize(
    "header", ["Person - Marketing status", "Marketing status", "Email marketing status"]
)
def test_a_marketing_status_is_the_email_marketing_opt_in(header):
    assert readers.interpret_header(header) == ("email_opt_in", "")


def test_a_pipedrive_unsubscribe_reaches_the_consent():
    text = (
        "Person - ID,Person - Name,Person - Email - Work,Person - Marketing status\n"
        "201,Chiara Galli,chiara@example.it,Unsubscribed\n"
        "202,Sara Longo,sara@example.it,Subscribed\n"
    )
    _mapping, rows = _read(text)
    unsubscribed, subscribed = (consent_from_columns(r.values)[0] for r in rows)
    assert (unsubscribed.status, subscribed.status) == ("withdrawn", "granted")


def test_brevos_sms_opt_out_is_not_the_email_opt_out():
    mapping = readers.map_headers(["EMAIL", "SMS", "BLACKLISTED", "SMS_BLACKLISTED"])
    assert mapping.columns["BLACKLISTED"] == "email_opt_out"
    assert mapping.columns["SMS_BLACKLISTED"] == "sms_opt_out"


# Italian headers


@pytest.mark.parametrize(
    ("header", "field", "group"),
    [
        ("Cognome e nome", "full_name", ""),
        ("Nome e cognome", "full_name", ""),
        ("N. cellulare", "phone", ""),
        ("Num. telefono", "phone", ""),
        ("Nr. telefono", "phone", ""),
        ("N. civico", "street_number", ""),
        ("Prov.", "state", ""),
        ("Prov", "state", ""),
        ("Compleanno", "birth_date", ""),
        ("Data compleanno", "birth_date", ""),
        ("Via (uff.)", "address", "uff"),
        ("Città (uff.)", "city", "uff"),
        ("CAP (uff.)", "postcode", "uff"),
        ("Provincia (uff.)", "state", "uff"),
        ("Paese/area geografica (uff.)", "country", "uff"),
        ("Via (ab.)", "address", "ab"),
        ("Città (ab.)", "city", "ab"),
        ("Telefono abitazione", "phone", ""),
        ("Telefono ufficio", "phone", ""),
        ("Cellulare", "phone", ""),
    ],
)
def test_common_italian_headers_are_read(header, field, group):
    assert readers.interpret_header(header) == (field, group)


@pytest.mark.parametrize(
    "header",
    ["Partita IVA", "N. tessera", "Num. ordine", "No Email", "Numero", "Nr. soci"],
)
def test_italian_headers_of_no_field_of_ours_stay_unmapped(header):
    assert readers.interpret_header(header) == ("", "")


def test_an_italian_outlook_export_reads_its_business_address():
    text = (
        "Nome;Cognome;Cellulare;Telefono ufficio;Telefono abitazione;Via (uff.);Città (uff.);"
        "Provincia (uff.);CAP (uff.);Paese/area geografica (uff.);Compleanno\n"
        "Ilaria;Lucà;328 1234567;080 5556677;080 1112233;Via Sparano 10;Bari;BA;70121;Italia;"
        "12/05/1987\n"
    )
    _mapping, rows = _read(text)
    values = rows[0].values
    assert (values["address"], values["city"], values["state"]) == ("Via Sparano 10", "Bari", "BA")
    assert (values["postcode"], values["country"]) == ("70121", "Italia")
    assert values["phone"] == "328 1234567; 080 5556677; 080 1112233"
    assert values["birth_date"] == "12/05/1987"


def test_a_full_name_header_written_surname_first_says_so():
    mapping = readers.map_headers(["Cognome e nome", "N. cellulare", "Prov."])
    assert mapping.columns["Cognome e nome"] == "full_name"
    assert mapping.surname_first
    assert not readers.map_headers(["Nome e cognome", "Email"]).surname_first
    assert not readers.map_headers(["Name", "Email"]).surname_first


# Company, job title and more emails of CRMs


def test_salesforce_company_and_job_title_are_read():
    headers = ["Lead ID", "Salutation", "First Name", "Last Name", "Title", "Company / Account"]
    mapping = readers.map_headers(headers)
    assert mapping.columns["Company / Account"] == "company"
    assert mapping.columns["Title"] == "job_title"


@pytest.mark.parametrize(
    "headers",
    [
        ["First Name", "Last Name", "Title", "Email"],  # "Mr", "Dr": a title of the name
        ["First Name", "Title", "Job Title", "Salutation"],  # Outlook: "Job Title" is it
        ["Nome", "Titolo", "Posizione"],
    ],
)
def test_a_title_that_may_be_a_salutation_is_no_job_title(headers):
    mapping = readers.map_headers(headers)
    assert mapping.columns.get(next(h for h in headers if h.startswith("Tit"))) is None


def test_zoho_designation_and_secondary_email_are_read():
    mapping = readers.map_headers(
        ["Record Id", "Lead Owner", "Designation", "Email", "Secondary Email", "Secondary Phone"]
    )
    assert mapping.columns == {
        "Record Id": "external_id",
        "Designation": "job_title",
        "Email": "email",
        "Secondary Email": "email",
        "Secondary Phone": "phone",
    }


def test_hubspots_additional_email_addresses_are_more_emails():
    text = (
        "Record ID,Email,Additional email addresses,Lifecycle Stage\n"
        "2,m@studio.it,marco@gmail.com;marco@pec.it,Lead\n"
    )
    mapping, rows = _read(text)
    assert mapping.columns["Additional email addresses"] == "email"
    row = normalise_row(rows[0].values, "IT")
    assert row.emails == ["m@studio.it", "marco@gmail.com", "marco@pec.it"]


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("Alternate Email", "email"),
        ("Email secondaria", "email"),
        ("Telefono alternativo", "phone"),
        ("Additional Name", "middle_name"),  # Google's middle name: no other person's
        ("Secondary Name", ""),
    ],
)
def test_another_email_or_phone_of_the_persons_is_read_and_nothing_else(header, field):
    assert readers.interpret_header(header) == (field, "")


# Mailchimp's sign-up geolocation


def test_mailchimps_sign_up_location_is_not_the_persons_address():
    text = (
        "Email Address,First Name,Address,MEMBER_RATING,OPTIN_TIME,CC,REGION,LATITUDE\n"
        "f@example.it,Francesca,,2,2020-01-01 10:00:00,DE,BE,52.5\n"
        'm@example.it,Marco,"Via Roma 1  Milano  MI  20121  IT",2,,US,NY,40.7\n'
    )
    mapping, rows = _read(text)
    assert mapping.format == "mailchimp"
    assert "CC" in mapping.unmapped and "REGION" in mapping.unmapped
    berlin, milan = (normalise_row(r.values, "IT").fields for r in rows)
    assert "country" not in berlin and "state" not in berlin
    assert (milan["city"], milan["state"], milan["country"]) == ("Milano", "MI", "IT")
    assert rows[0].raw["CC"] == "DE"


def test_cc_and_region_of_other_files_are_still_read():
    mapping = readers.map_headers(["Email", "Region", "CC"])
    assert mapping.columns == {"Email": "email", "Region": "state", "CC": "country"}


def test_a_json_key_reads_the_same_whatever_keys_stand_beside_it():
    # The preview of a JSON file maps each key alone: the import must read it so too.
    for keys in (["buyer_email"], ["buyer_email", "order_id"], ["title", "salutation"]):
        assert readers.map_headers(keys, "jsonl").columns == {}
    row = readers.row_from_object(1, {"order_id": 7, "buyer_email": "chiara@example.it"})
    assert row.values == {}


@pytest.mark.parametrize(
    ("headers", "email"),
    [
        (["Shop", "Owner Name", "Owner Email", "Owner Phone"], "Owner Email"),
        (["Alunno", "Classe", "Parent Email"], "Parent Email"),
    ],
)
def test_a_file_that_names_only_owners_or_parents_is_a_file_of_them(headers, email):
    mapping = readers.map_headers(headers)
    assert mapping.columns[email] == "email"


def test_of_several_other_people_the_one_most_columns_name_is_the_rows():
    mapping = readers.map_headers(
        ["Shop", "Owner Name", "Owner Email", "Owner Phone", "Manager Email"]
    )
    assert mapping.columns == {
        "Owner Name": "full_name",
        "Owner Email": "email",
        "Owner Phone": "phone",
    }


# Headers written as alternatives ("City/town/village/locality")


@pytest.mark.parametrize(
    ("header", "field", "group"),
    [
        ("Person - Postal address - City/town/village/locality", "city", "postal"),
        ("Person - Postal address - ZIP/Postal code", "postcode", "postal"),
        ("Person - Postal address - Street/road name", "address", "postal"),
        ("Person - Postal address - State/county", "state", "postal"),
        ("Person - Postal address - Apartment/suite no", "address_line_2", "postal"),
        ("Town/City", "city", ""),
        ("Town / City", "city", ""),
        ("County/Region", "state", ""),
        ("Mobile/Cell", "phone", ""),
        ("Ragione sociale/Azienda", "company", ""),
        ("C.F.", "tax_id", ""),
    ],
)
def test_a_header_of_alternatives_reads_as_the_one_field_they_name(header, field, group):
    assert readers.interpret_header(header) == (field, group)


@pytest.mark.parametrize(
    "header",
    [
        "Email/Phone",  # two fields: neither is guessed
        "Provincia/Stato",  # a province, or a country
        "Person - Postal address - District/sublocality",
        "Owner email/phone",  # another person's
        # A person's tax id or a company's VAT number: two colleagues with their
        # company's would be one tax id, so the column is never read as a person's.
        "CF/P.IVA",
        "Codice Fiscale/P.IVA",
        "P.IVA / C.F.",
        "Codice fiscale / Partita IVA",
        "VAT/Tax ID",
        "Phone/Fax",  # the cell may hold a fax number
        "Telefono/Fax",
    ],
)
def test_alternatives_naming_two_fields_or_none_stay_unmapped(header):
    assert readers.interpret_header(header) == ("", "")


def test_a_pipedrive_export_keeps_the_city_of_its_address_parts():
    text = (
        "Person - ID,Person - First name,Person - Last name,Person - Email - Work,"
        "Person - Postal address,"
        "Person - Postal address - Street/road name,Person - Postal address - House number,"
        "Person - Postal address - City/town/village/locality,"
        "Person - Postal address - ZIP/Postal code,Person - Postal address - Country\n"
        '101,Sara,Conti,sara@conti.example,"Corso Como 10, 20154 Milano MI, Italia",'
        "Corso Como,10,Milano,20154,Italia\n"
    )
    mapping, rows = _read(text)
    assert mapping.columns["Person - Postal address - City/town/village/locality"] == "city"
    # The address written whole is kept raw; the street of the parts takes the number.
    assert mapping.rivals["Person - Postal address"] == (
        "Person - Postal address - Street/road name"
    )
    row = normalise_row(rows[0].values, "IT")
    assert (row.fields["city"], row.fields["postcode"]) == ("Milano", "20154")
    assert row.fields["address"] == "Corso Como 10"
    assert row.fields["country"] == "IT"


def test_a_bare_address_beside_a_street_without_a_house_number_column_still_wins():
    mapping = readers.map_headers(["Email", "Address", "Street", "City"])
    assert mapping.columns["Address"] == "address"
    assert "Street" in mapping.unmapped


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("Person - Label", "tags"),  # Pipedrive's labels of a person: "Hot lead"
        ("Person - Labels", "tags"),
        ("Contact Labels", "tags"),
        ("E-mail 1 - Label", ""),  # Google's: the kind of one email, "* Home"
        ("Phone 2 - Label", ""),
    ],
)
def test_a_persons_labels_are_tags_an_emails_label_is_not(header, field):
    assert readers.interpret_header(header) == (field, "")


# Odoo's contacts export


@pytest.mark.parametrize(
    "header_row",
    [
        "Nome,E-mail,Via,Via 2,Città,CAP,Provincia,Nazione,Azienda collegata,"
        "Posizione lavorativa,Etichette,ID esterno",
        "Name,Email,Street,Street2,City,Zip,State,Country,Related Company,Job Position,Tags,"
        "External ID",
    ],
)
def test_an_odoo_contacts_export_reads_its_company_position_and_id(header_row):
    text = (
        f"{header_row}\n"
        '"Mario Rossi",mario.rossi@example.it,Via Manzoni 12,Scala B,Milano,20121,'
        'Milano (IT),Italia,Rossi Srl,Direttore acquisti,"Cliente,VIP",'
        "__export__.res_partner_42_abc\n"
    )
    mapping, rows = _read(text)
    assert mapping.unmapped == []
    row = normalise_row(rows[0].values, "IT")
    assert row.external_id == "__export__.res_partner_42_abc"
    assert (row.fields["first_name"], row.fields["last_name"]) == ("Mario", "Rossi")
    assert row.fields["company"] == "Rossi Srl"
    assert row.fields["job_title"] == "Direttore acquisti"
    assert (row.fields["address"], row.fields["address_line_2"]) == ("Via Manzoni 12", "Scala B")
    # Odoo writes a state with its country's code: the code goes, and an Italian
    # province is written by its sigla.
    assert (row.fields["state"], row.fields["country"]) == ("MI", "IT")
    assert row.tags == ["Cliente", "VIP"]


def test_a_state_keeps_brackets_that_are_not_its_countrys_code():
    row = normalise_row({"first_name": "Anna", "state": "Milano (MI)", "country": "IT"}, "IT")
    assert row.fields["state"] == "MI"
    row = normalise_row({"first_name": "Anna", "state": "Bayern (DE)", "country": "IT"}, "IT")
    assert row.fields["state"] == "Bayern (DE)"


# SuiteCRM, Bitrix24 and Dynamics 365


def test_suitecrms_non_primary_emails_are_the_persons_other_addresses():
    mapping = readers.map_headers(["ID", "First Name", "Email Address", "Non Primary E-mails"])
    assert mapping.columns["Non Primary E-mails"] == "email"


def test_a_region_gives_way_to_a_province_or_state_beside_it():
    italian = readers.map_headers(["Nome", "Cognome", "Regione", "Provincia", "CAP"])
    assert italian.columns["Provincia"] == "state" and "Regione" in italian.unmapped
    english = readers.map_headers(["First name", "Region", "State / Province", "Zip"])
    assert english.columns["State / Province"] == "state" and "Region" in english.unmapped
    # Alone, a region is the state (Google's "Address 1 - Region").
    alone = readers.map_headers(["Name", "Region", "City"])
    assert alone.columns["Region"] == "state"


def test_a_dynamics_export_keeps_its_record_id():
    mapping = readers.map_headers(
        ["(Do Not Modify) Contact", "(Do Not Modify) Row Checksum", "Full Name", "Email"]
    )
    assert mapping.columns["(Do Not Modify) Contact"] == "external_id"
    assert "(Do Not Modify) Row Checksum" in mapping.unmapped


# Notes above the header


LINKEDIN = (
    "Notes:\n"
    '"When exporting your connection data, you may notice that some of the email addresses'
    " are missing. You will only see email addresses for connections who have allowed"
    ' their connections to see or download their email address."\n'
    "\n"
    "First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
    "Chiara,Marino,https://www.linkedin.com/in/chiaramarino,,Marino Design,Art Director,"
    "12 Mar 2024\n"
    "Davide,Ricci,https://www.linkedin.com/in/davidericci,davide.ricci@gmail.com,Ricci Tech,"
    "CTO,03 Jan 2023\n"
)


def test_linkedins_connections_file_is_read_below_its_notes():
    mapping, rows = _read(LINKEDIN)
    assert mapping.headers[:2] == ["First Name", "Last Name"]
    assert mapping.columns["Email Address"] == "email"
    assert [row.number for row in rows] == [5, 6]  # the file's own line numbers
    davide = normalise_row(rows[1].values, "IT")
    assert davide.emails == ["davide.ricci@gmail.com"]
    assert (davide.fields["company"], davide.fields["job_title"]) == ("Ricci Tech", "CTO")
    assert readers.csv_layout(LINKEDIN)[1] == 3  # "Notes:", the paragraph, a blank line


@pytest.mark.parametrize(
    "text",
    [
        "Nome;Cognome;Email\nMario;Rossi;m@example.it\n",  # a header on the first line
        "Codice;Valore\nA1;10\n",  # a header that names no one: read as it is
        "Mario,Rossi,m@example.it\nAnna,Bianchi,a@example.it\n",  # no header at all
    ],
)
def test_a_file_without_notes_starts_at_its_first_line(text):
    assert readers.csv_layout(text)[1] == 0


@pytest.mark.parametrize(
    ("value", "status"), [("Do Not Allow", "withdrawn"), ("Allow", None), ("", None)]
)
def test_dynamics_do_not_allow_bulk_emails_is_an_opt_out(value, status):
    text = (
        "(Do Not Modify) Contact,Full Name,Email,Do not allow Bulk Emails\n"
        f"c1,Sara Neri,s@x.it,{value}\n"
    )
    mapping, rows = _read(text)
    assert mapping.columns["Do not allow Bulk Emails"] == "email_opt_out"
    fact, warnings = consent_from_columns(rows[0].values)
    assert warnings == []
    assert (fact.status if fact else None) == status


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("Attendee #", "external_id"),  # Eventbrite: one a ticket
        ("Customer #", "external_id"),
        ("Member #", "external_id"),
        ("Order #", ""),  # an order's, shared by its attendees
        ("Contact #", ""),  # a record's number or a phone: not guessed
        ("Phone #", "phone"),
        ("Customer Phone Number", "phone"),
    ],
)
def test_a_number_sign_reads_as_the_number_it_stands_for(header, field):
    assert readers.interpret_header(header) == (field, "")


def test_an_eventbrite_attendee_keeps_the_attendee_number_as_the_records_id():
    mapping = readers.map_headers(
        ["Order #", "First Name", "Last Name", "Email", "Attendee #", "Buyer Email"]
    )
    assert mapping.columns["Attendee #"] == "external_id"
    assert "Order #" in mapping.unmapped
