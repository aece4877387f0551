"""The side-by-side comparison agrees with the scorer's reasons shown on the same page."""

import re

import pytest

from crm.extensions import db
from crm.services import duplicates
from tests import factories


def _page(client, a, b) -> str:
    """The comparison page of a new open pair of profiles a and b."""
    candidate = duplicates.propose(a.id, b.id, 0.8, [])
    db.session.commit()
    response = client.get(f"/duplicates/{candidate.id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _row(html: str, field: str) -> str:
    """The <tr> of one compared field."""
    match = re.search(rf'<tr id="compare-{field}"[^>]*>.*?</tr>', html, re.S)
    assert match, f"no row for {field}"
    return match.group(0)


@pytest.mark.parametrize(
    ("left", "right"),
    [("Via Roma 5", "Via Roma, 5"), ("V.le Monza 3", "Viale Monza 3")],
)
def test_addresses_the_scorer_calls_same_are_marked_same(client, auth, left, right):
    auth.login_as("sales")
    a = factories.make_profile(last_name="Bassi", address=left, city="Milano")
    b = factories.make_profile(last_name="Bassi", address=right, city="MILANO")
    html = _page(client, a, b)
    assert "address: same" in html  # the scorer's reason, on the same page
    for field in ("address", "city", "last_name"):
        assert "compare-same" in _row(html, field), field


def test_another_house_number_stays_different(client, auth):
    auth.login_as("sales")
    a = factories.make_profile(address="Via Roma 5", company="Acme S.r.l.")
    b = factories.make_profile(address="Via Roma 7", company="ACME srl")
    html = _page(client, a, b)
    assert "compare-different" in _row(html, "address")
    assert "compare-same" in _row(html, "company")


def test_two_empty_values_are_nothing_to_compare(client, auth):
    auth.login_as("sales")
    html = _page(client, factories.make_profile(), factories.make_profile())
    row = _row(html, "birth_date")
    assert "compare-empty" in row and "compare-same" not in row
    assert "nothing to compare" in row
