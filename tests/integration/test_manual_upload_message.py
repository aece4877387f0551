"""A web upload under the manual-entry source's name is refused at the source field, which
says what to do: send the records under the name of the system they come from.

The Italian assertions need the Italian catalog to hold the new message."""

import io
import re

from crm.services import sources
from tests import factories


def _upload(client, **fields):
    data = {
        "csrf_token": factories.csrf_token(client, "/imports/new"),
        "source": "",
        "new_source": "manual",
        "format": "auto",
        **fields,
        "file": (io.BytesIO(b"email\ngiulia@example.com\n"), "people.csv"),
    }
    return client.post("/imports/new", data=data, content_type="multipart/form-data")


def _field_feedback(page: str, field: str) -> str:
    """The text of the invalid-feedback after the form field's input, "" when none."""
    found = re.search(
        rf'id="{field}"[^>]*>.*?<div class="invalid-feedback[^"]*"[^>]*>(.*?)</div>',
        page,
        re.DOTALL,
    )
    return " ".join(found.group(1).split()) if found else ""


def test_the_source_field_says_what_to_do(client, auth):
    auth.login_as("marketer")

    response = _upload(client, new_source="Manual")

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert re.search(
        r'id="new_source"[^>]*is-invalid|class="[^"]*is-invalid[^"]*"[^>]*id="new_source"', page
    )
    feedback = _field_feedback(page, "new_source")
    assert "Send them under the name of the system they come from." in feedback
    assert feedback == sources.MANUAL_RECORDS.replace("'", "&#39;")
    assert "Manual entry is the app&#39;s own source" in page  # the flash, as before


def test_the_source_field_says_it_in_italian(client, auth):
    auth.login_as("marketer")
    token = factories.csrf_token(client, "/account")
    client.post("/account/language", data={"locale": "it", "csrf_token": token})

    page = _upload(client).get_data(as_text=True)

    feedback = _field_feedback(page, "new_source")
    assert "&#39;manual&#39; è la fonte propria dell&#39;app" in feedback
    assert "Inviali con il nome del sistema da cui provengono." in feedback
    assert "Send them under the name" not in page
