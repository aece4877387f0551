"""HTTP tests of the detach of a profile's own record when its other records came with a
merge: the page offers no detach but says which merge to undo, a forced post is refused
with that reason, and a detached record's new profile credits its stage to the detach."""

import html as html_lib
import re

from sqlalchemy import func, select

from crm.extensions import db
from crm.models import Profile, SourceRecord
from crm.services import merging
from tests.factories import import_records


def _html(response) -> str:
    return html_lib.unescape(response.get_data(as_text=True))


def _token(html: str) -> str:
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html)
    assert match, "no CSRF token"
    return match.group(1)


def _record_id(external_id: str) -> int:
    return db.session.scalar(select(SourceRecord.id).filter_by(external_id=external_id))


def _merged(rep) -> tuple[int, int]:
    """Maria Grazia De Luca absorbed Mariagrazia De Luca by a rep's merge. Returns
    (survivor id, merge id)."""
    (absorbed,) = import_records("web", {"id": "A1", "first_name": "Mariagrazia",
                                         "last_name": "De Luca",
                                         "email": "mg@example.it"})  # fmt: skip
    (survivor,) = import_records("crm", {"id": "B1", "first_name": "Maria Grazia",
                                         "last_name": "De Luca",
                                         "email": "mariagrazia.deluca@example.it"})  # fmt: skip
    merge = merging.merge_profiles(survivor["profile_id"], absorbed["profile_id"], actor=rep)
    return survivor["profile_id"], merge.id


def test_the_profile_page_offers_no_detach_of_the_record_that_keeps_it(client, auth):
    rep = auth.login_as("sales")
    survivor, merge_id = _merged(rep)
    own, brought = _record_id("B1"), _record_id("A1")

    page = _html(client.get(f"/profiles/{survivor}"))

    assert f'id="detach-{own}"' not in page
    reason = re.search(rf'<a [^>]*id="kept-by-merge-{own}"[^>]*>(.*?)</a>', page, re.S)
    assert reason, "the refusal's reason is not shown"
    assert f"merge #{merge_id} or after it; undo that merge instead" in reason.group(1)
    assert f'href="#merge-{merge_id}"' in reason.group(0)
    assert f'id="came-with-merge-{brought}"' in page


def test_the_confirmation_page_says_why_and_a_forced_post_is_refused(client, auth):
    rep = auth.login_as("sales")
    survivor, merge_id = _merged(rep)
    own = _record_id("B1")
    path = f"/profiles/{survivor}/records/{own}/detach"

    page = _html(client.get(path))
    assert 'id="detach-refused"' in page and 'id="confirm-detach"' not in page
    assert f"merge #{merge_id} or after it; undo that merge instead" in page

    token = _token(_html(client.get(f"/profiles/{survivor}")))
    response = client.post(path, data={"csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/profiles/{survivor}")
    shown = _html(client.get(response.headers["Location"]))
    assert "The record was not detached" in shown
    assert f"merge #{merge_id} or after it" in shown
    db.session.expire_all()
    assert db.session.get(SourceRecord, own).profile_id == survivor
    assert db.session.scalar(select(func.count()).select_from(Profile)) == 2


def test_undoing_the_merge_leaves_the_profile_its_own_record(client, auth, api_headers):
    rep = auth.login_as("sales")
    survivor, merge_id = _merged(rep)
    own = _record_id("B1")
    token = _token(_html(client.get(f"/profiles/{survivor}")))
    client.post(f"/profiles/{survivor}/records/{own}/detach", data={"csrf_token": token})

    undone = client.post(f"/api/v1/merges/{merge_id}/undo", headers=api_headers("admin"))
    assert undone.status_code == 200

    page = _html(client.get(f"/profiles/{survivor}"))
    assert "Maria Grazia" in page and "mariagrazia.deluca@example.it" in page
    assert f'id="source-record-{own}"' in page


def test_the_new_profiles_stage_history_names_the_detach_and_who_made_it(client, auth):
    rep = auth.login_as("sales")
    (first,) = import_records("crm", {"id": "C1", "first_name": "Bruna", "last_name": "Lazzari",
                                      "email": "bruna@example.it"})  # fmt: skip
    import_records("shop", {"id": "C2", "first_name": "Bruna", "last_name": "Lazzari",
                            "email": "bruna@example.it", "stage": "customer"})  # fmt: skip
    record = _record_id("C2")
    path = f"/profiles/{first['profile_id']}/records/{record}/detach"
    response = client.post(path, data={"csrf_token": _token(_html(client.get(path)))})
    new_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[-1])

    page = _html(client.get(f"/profiles/{new_id}"))
    history = re.search(r'<table [^>]*id="stage-history".*?</table>', page, re.S).group(0)
    assert f"detach of record #{record}" in history
    assert "import from" not in history
    assert f"detached by {rep.name}" in history
