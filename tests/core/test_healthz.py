from django.test import Client


def test_healthz_says_ok_when_the_database_answers(client: Client, db: None) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_healthz_refuses_post(client: Client, db: None) -> None:
    assert client.post("/healthz").status_code == 405
