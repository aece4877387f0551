"""A surname with an apostrophe or a particle is found however the searcher spaces it."""

import pytest

from crm.services import profiles
from tests import factories


@pytest.mark.parametrize("query", ["damico", "d amico", "D'Amico", "dam"])
def test_a_surname_with_an_apostrophe_is_found_without_it(app, query):
    ada = factories.make_profile(first_name="Nicolò", last_name="D'Amico")
    factories.make_profile(first_name="Ada", last_name="Amico")
    found = [p.id for p in profiles.search_profiles(query)[0]]
    assert found == [ada.id]


def test_particles_are_found_written_together(app):
    pieter = factories.make_profile(first_name="Pieter", last_name="van der Berg")
    sean = factories.make_profile(first_name="Sean", last_name="O'Brien")
    assert [p.id for p in profiles.search_profiles("vanderberg")[0]] == [pieter.id]
    assert [p.id for p in profiles.search_profiles("obrien")[0]] == [sean.id]
