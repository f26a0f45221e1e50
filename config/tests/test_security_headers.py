import pytest

pytestmark = pytest.mark.django_db

REQUIRED_DIRECTIVES = {
    "object-src": "'none'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
    "script-src": "'self'",
    "default-src": "'self'",
}


def _policy(header: str) -> dict[str, str]:
    directives = {}
    for part in header.split(";"):
        name, _, value = part.strip().partition(" ")
        directives[name] = value.strip()
    return directives


@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/accounts/signup/", "/no-such-page/"])
def test_exactly_one_strict_csp_header(client, path):
    response = client.get(path)
    csp_headers = [
        (name, value)
        for name, value in response.items()
        if name.lower().startswith("content-security-policy")
    ]
    assert len(csp_headers) == 1
    name, value = csp_headers[0]
    assert name == "Content-Security-Policy"
    policy = _policy(value)
    for directive, expected in REQUIRED_DIRECTIVES.items():
        assert policy[directive] == expected
    assert "unsafe-inline" not in value
    assert "unsafe-eval" not in value


def test_standard_security_headers(client):
    response = client.get("/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_rendered_pages_carry_no_inline_script_or_style(client):
    for path in ["/", "/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"]:
        html = client.get(path).content.decode()
        assert "<style" not in html
        assert " style=" not in html
        assert " onclick=" not in html
        for chunk in html.split("<script")[1:]:
            assert chunk.lstrip().startswith("src="), chunk[:80]
