"""/metrics answers loopback clients only by default, or any client with the metrics token when one is set."""

from __future__ import annotations

from fastapi.testclient import TestClient

from paperwire.web.deps import paperwire_of

LOOPBACK = [("127.0.0.1", 40000), ("127.8.9.10", 40000), ("::1", 40000), ("::ffff:127.0.0.1", 40000)]
REMOTE = [
    ("203.0.113.7", 40000),
    ("10.0.0.2", 40000),
    ("2001:db8::1", 40000),
    ("::ffff:203.0.113.7", 40000),
    ("testclient", 50000),
    ("localhost.evil.example", 40000),
]


def _get(app, client: tuple[str, int], **headers: str):
    with TestClient(app, client=client) as test_client:
        return test_client.get("/metrics", headers=headers)


def test_by_default_only_loopback_clients_get_the_metrics(app) -> None:
    for address in REMOTE:
        response = _get(app, address, Authorization="Bearer anything")
        assert response.status_code == 403, address
        assert "paperwire_" not in response.text and "loopback" in response.text
    for address in LOOPBACK:
        response = _get(app, address)
        assert response.status_code == 200 and "paperwire_http_request_duration_seconds" in response.text, address


def test_with_a_token_every_client_must_send_it(app) -> None:
    paperwire_of(app).settings = paperwire_of(app).settings.model_copy(update={"metrics_token": "s3cret-metrics-token"})
    for address in (REMOTE[0], LOOPBACK[0]):
        assert _get(app, address).status_code == 401
        assert _get(app, address, Authorization="Bearer wrong").status_code == 401
        assert _get(app, address, Authorization="s3cret-metrics-token").status_code == 401
        refused = _get(app, address, Authorization="Bearer s3cret-metrics-tokenX")
        assert refused.status_code == 401 and refused.headers["WWW-Authenticate"] == "Bearer"
        assert "paperwire_" not in refused.text
        granted = _get(app, address, Authorization="Bearer s3cret-metrics-token")
        assert granted.status_code == 200 and "paperwire_http_request_duration_seconds" in granted.text
