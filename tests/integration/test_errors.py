"""Error pages: HTML for the web UI, JSON under /api/."""

from crm.security import ALL_ROLES


def _add_failing_views(app):
    """Routes that fail with an unexpected exception, for both halves of the app."""

    def boom():
        raise RuntimeError("unexpected")

    app.add_url_rule("/_boom", "boom", ALL_ROLES(boom))
    app.add_url_rule("/api/v1/_boom", "api_boom", ALL_ROLES(lambda: boom()))
    app.config["PROPAGATE_EXCEPTIONS"] = False


def test_unexpected_error_shows_the_500_page(app, client, auth):
    _add_failing_views(app)
    auth.login_as("sales")
    response = client.get("/_boom")
    assert response.status_code == 500
    assert "Something went wrong" in response.get_data(as_text=True)
    assert response.mimetype == "text/html"


def test_unexpected_api_error_is_json(app, client, api_headers):
    _add_failing_views(app)
    response = client.get("/api/v1/_boom", headers=api_headers("sales"))
    assert response.status_code == 500
    assert response.is_json
    assert response.get_json()["code"] == 500


def test_not_found_page_and_json(client, auth, api_headers):
    headers = api_headers("sales")
    auth.login_as("sales")
    page = client.get("/no/such/page")
    assert page.status_code == 404
    assert "Not found" in page.get_data(as_text=True)
    api = client.get("/api/v1/no/such/thing", headers=headers)
    assert api.status_code == 404
    assert api.is_json
    body = api.get_json()
    assert (body["code"], body["status"]) == (404, "Not Found") and body["message"]
    wrong_method = client.delete("/api/v1/duplicates", headers=headers)
    assert wrong_method.status_code == 405 and wrong_method.get_json()["message"]
    # An id past the database's integers is a URL that cannot exist, not a server error.
    past_integers = client.get("/profiles/99999999999999999999")
    assert past_integers.status_code == 404
    assert "Not found" in past_integers.get_data(as_text=True)
    api_past_integers = client.get("/api/v1/profiles/99999999999999999999", headers=headers)
    assert api_past_integers.status_code == 404 and api_past_integers.get_json()["message"]
