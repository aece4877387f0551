"""A profile an undone merge gave back says, on its page, that it was merged once."""

from crm.services import merging
from tests import factories


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
