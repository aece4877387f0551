"""A source name that differs from an existing one only in case is refused in every
import, not only in the API: one system never becomes two sources."""

import io

import pytest

from crm.services import imports_ui, ingest
from crm.services.errors import ConflictError, ValidationError
from crm.views import reasons


def _import(source: str) -> dict:
    data = io.BytesIO(b"email,first_name\nada@example.it,Ada\n")
    return ingest.import_stream(data, filename="people.csv", source_name=source)


def test_a_file_import_under_another_case_of_a_source_is_refused(app):
    _import("Shopify")
    with pytest.raises(ConflictError) as refused:
        _import("shopify")
    assert "'Shopify'" in refused.value.message
    assert _import("Shopify")["unchanged"] == 1  # the exact name still imports


def test_a_web_upload_under_another_case_is_refused_in_the_readers_language(app, auth):
    _import("Shopify")
    user = auth.login_as("marketer")
    with pytest.raises(ValidationError) as refused:
        imports_ui.save_upload(io.BytesIO(b"email\na@x.it\n"), filename="f.csv",
                               source_name="SHOPIFY", fmt="auto", actor=user)  # fmt: skip
    with app.test_request_context(headers={"Accept-Language": "it"}):
        assert reasons.refusal_text(refused.value.message) != refused.value.message
