"""First smoke checks of the app factory and sign-in."""


def test_login_page_renders(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert b'name="csrf_token"' in response.data


def test_login_and_see_start_page(client, auth):
    auth.login_as("sales")
    response = client.get("/")
    assert response.status_code == 200
    assert b"stage-counts" in response.data
