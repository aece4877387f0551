"""What a profile page tells of what was undone: a merge that had absorbed the profile,
a value a person cleared."""

from crm.services import merging, profiles
from tests import factories
from tests.factories import import_records


def test_a_restored_profile_says_it_was_merged_and_by_whom_the_merge_was_undone(client, auth):
    rep = auth.login_as("sales", name="Rita <b>Rossi</b>")
    survivor, other = factories.make_profile(), factories.make_profile()
    merge = merging.merge_profiles(survivor.id, other.id, actor=rep)
    merging.undo_merge(merge.id, actor=rep)

    page = client.get(f"/profiles/{other.id}").get_data(as_text=True)

    assert f'id="restored-{merge.id}"' in page
    assert f'href="/profiles/{survivor.id}">#{survivor.id}</a>' in page
    assert "the merge was undone on" in page and "Rita &lt;b&gt;Rossi&lt;/b&gt;" in page
    # The survivor's own page lists the merge as before, and says nothing of the kind.
    survivor_page = client.get(f"/profiles/{survivor.id}").get_data(as_text=True)
    assert f'id="merge-{merge.id}"' in survivor_page
    assert "restored-" not in survivor_page


def test_a_profile_never_merged_away_says_nothing_of_it(client, auth):
    auth.login_as("sales")
    profile = factories.make_profile()
    assert "restored-" not in client.get(f"/profiles/{profile.id}").get_data(as_text=True)


def test_a_value_a_person_cleared_says_who_cleared_it(client, auth):
    rep = auth.login_as("sales", name="Teo Sales")
    [result] = import_records("crmx", {"id": "1", "first_name": "Ada", "last_name": "Neri",
                                       "email": "ada@example.it", "city": "Verona"})  # fmt: skip
    pid = result["profile_id"]
    profiles.update_profile(pid, {"city": None}, expected_version=None, actor=rep)

    page = client.get(f"/profiles/{pid}").get_data(as_text=True)

    field = page.split('id="field-city"', 1)[1].split("</dd>", 1)[0]
    assert "cleared by Teo Sales" in field
    company = page.split('id="field-company"', 1)[1].split("</dd>", 1)[0]
    assert "cleared" not in company  # never given, never cleared
