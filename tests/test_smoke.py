def test_full_path(requester, client):
    code = requester.submit_and_get_code()
    r = requester.open(code)
    assert r.status_code == 303
    page = client.get("/track").get_data(as_text=True)
    assert "Received" in page
