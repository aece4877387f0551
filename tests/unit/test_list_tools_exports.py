"""Exports of the newsletter tools Italian businesses use: MailUp, MailerLite."""

import io

from crm.services import readers, rows


def _rows(text: str):
    mapping, read = readers.read_csv(io.BytesIO(text.encode()))
    return mapping, list(read)


def test_a_no_in_the_marketing_consent_column_beats_a_subscribed_list_status():
    mapping, [row] = _rows(
        "Email;Nome;Cognome;Stato;Data iscrizione;Consenso privacy;Consenso marketing\n"
        "info@studioferri.it;Marta;Ferri;Iscritto;12/03/2024 10:15;Si;No\n"
    )
    assert mapping.columns["Data iscrizione"] == "email_consent_time"
    [fact], warnings = rows.consents_from_columns(row.values)
    assert fact.status == "refused"
    assert fact.recorded_at.isoformat() == "2024-03-12T10:15:00+00:00"
    assert fact.evidence["subscription_status"] == "Iscritto"  # kept, though it gave way
    assert warnings == [("email_opt_in", rows.STATUS_BUT_REFUSED)]
    # Subscribed with a yes: granted, dated by the subscription.
    _mapping, [row] = _rows(
        "Email;Stato;Data iscrizione;Consenso marketing\nluca@example.it;Iscritto;01/02/2024;Si\n"
    )
    [fact], warnings = rows.consents_from_columns(row.values)
    assert (fact.status, fact.recorded_at.date().isoformat(), warnings) == (
        "granted",
        "2024-02-01",
        [],
    )


def test_a_mailerlite_export_keeps_first_names_and_postcodes_and_dates_its_consents():
    mapping, [row] = _rows(
        "email,name,last_name,company,country,city,phone,state,z_i_p,status,subscribed_at\n"
        "v@example.it,Vincenzo,Ferrari,,Italy,Roma,+393354930491,RM,00186,active,"
        "2024-01-02 10:00:00\n"
    )
    assert (mapping.columns["name"], mapping.columns["z_i_p"]) == ("first_name", "postcode")
    assert mapping.columns["subscribed_at"] == "email_consent_time"
    fields = rows.normalise_row(row.values, "IT").fields
    assert (fields["first_name"], fields["last_name"], fields["postcode"]) == (
        "Vincenzo",
        "Ferrari",
        "00186",
    )


def test_a_name_column_of_whole_names_beside_a_last_name_stays_a_full_name():
    mapping, _rows_read = _rows(
        "name,last_name,email\nMario Rossi,Rossi,m@example.it\nAnna Bianchi,Bianchi,a@example.it\n"
    )
    assert mapping.columns["name"] == "full_name"


def test_a_consent_to_profiling_column_is_the_profiling_purposes():
    mapping, [yes, no] = _rows(
        "Email;Consenso marketing;Consenso profilazione\na@example.it;Si;Si\nb@example.it;Si;No\n"
    )
    assert mapping.columns["Consenso profilazione"] == "profiling_opt_in"
    facts = {f.purpose: f.status for f in rows.consents_from_columns(yes.values)[0]}
    assert facts == {"email_marketing": "granted", "profiling": "granted"}
    facts = {f.purpose: f.status for f in rows.consents_from_columns(no.values)[0]}
    assert facts == {"email_marketing": "granted", "profiling": "refused"}
