"""The optical tenant of the shared cast signs in and sees its own portal."""


def test_optical_owner_reaches_dashboard(owner_c, optical):
    response = owner_c.get("/", HTTP_HOST=optical.host)
    assert response.status_code == 200
    assert b"Gamma Optical" in response.content
