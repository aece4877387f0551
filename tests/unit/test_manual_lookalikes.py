"""A source cannot pass for the manual-entry source, whose values outrank every other's:
not by a name or a label that looks like its name or its label to a reader."""

import io

import pytest

from crm.services import ingest, sources
from crm.services.errors import ValidationError


@pytest.mark.parametrize(
    "name",
    ["Manual entry", "manual.", "manuaI", "manua1", "rnanual", "m\u0430nual", "MANUAL-ENTRY"],
)
def test_a_name_that_looks_like_the_manual_sources_takes_no_records(app, name):
    assert sources.passes_for_manual(name)
    with pytest.raises(ValidationError) as refused:
        ingest.import_stream(
            io.BytesIO(b"id,email\n1,anna@example.com\n"), filename="p.csv", source_name=name
        )
    assert "source" in refused.value.fields


@pytest.mark.parametrize("name", ["Manuel", "manuals-shop", "manufacturer", "annual fair"])
def test_names_that_merely_resemble_it_are_fine(name):
    assert not sources.passes_for_manual(name)


def test_a_source_cannot_be_labelled_as_the_manual_one(app):
    ingest.import_stream(
        io.BytesIO(b"id,email\n1,anna@example.com\n"), filename="p.csv", source_name="shop"
    )
    shop = sources.find_source("shop")
    with pytest.raises(ValidationError) as refused:
        sources.update_source(
            shop.id, {"label": "Manual Entry"}, expected_version=None, actor="test"
        )
    assert refused.value.fields["label"] == [sources.LOOKS_MANUAL]
    changed, _ = sources.update_source(
        shop.id, {"label": "Shop (online)"}, expected_version=None, actor="test"
    )
    assert changed.label == "Shop (online)"
