"""matching.values_same: the scorer's own reading of two values, for the side-by-side view."""

from crm.services import matching


def test_values_same_reads_fields_as_the_scorer_does():
    assert matching.values_same("address", "Via Roma 5", "Via Roma, 5")
    assert matching.values_same("address", "V.le Monza 3", "Viale Monza 3")
    assert matching.values_same("address", "Via Roma 5", "Via Roma 7") is False
    assert matching.address_level("Via Roma 5", "Via Roma 7") == "same street, other number"
    assert matching.values_same("city", "Milano", "MILANO")
    assert matching.values_same("first_name", "Giulia", "GIULIA")
    assert matching.values_same("last_name", "Rossi", "Rossi Jr.") is False
    assert matching.values_same("postcode", "20 100", "20100")
    assert matching.values_same("company", "Privato", "Privato") is None  # not weighed
    assert matching.values_same("job_title", "CEO", "ceo") is None  # not the scorer's
