"""The profile page says a refusal is one: the chip and the consent history read "refused",
never "withdrawn", for a person who was asked and said no."""

import re

from crm.services import ingest, profiles


def test_the_profile_page_shows_a_refusal_as_refused(client, auth):
    auth.login_as("marketer")
    ingest.import_records(
        [
            {
                "email": "bruno@example.it",
                "first_name": "Bruno",
                "email_opt_in": "no",
                "email_consent_time": "2024-03-03T12:00:00Z",
            }
        ],
        source_name="shop",
    )
    profile = profiles.search_profiles("bruno@example.it")[0][0]

    html = client.get(f"/profiles/{profile.id}").get_data(as_text=True)

    chip = re.search(r'<span class="([^"]*)" id="consent-email_marketing">([^<]*)<', html)
    assert "consent-refused" in chip.group(1).split()
    assert chip.group(2) == "Email marketing: refused"
    history = re.search(r'id="consent-history">(.*?)</table>', html, re.S).group(1)
    assert "<td>refused</td>" in history
    assert "withdrawn" not in history
    assert "How and when each consent was given, refused or withdrawn" in html
