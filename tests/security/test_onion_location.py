"""Clearnet pages tell Tor Browser where the onion service is (Onion-Location), and the
portal refuses to start with an onion address that cannot be one."""

import pytest

from portal.assets import asset_url

from portal_testing import unmigrated_app

# Real v3 addresses, checked by Tor's own rules and not by the portal's (DuckDuckGo's and
# the Tor Project's onion services).
ONION = "duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczad.onion"
OTHER_ONION = "2gzyxa5ihm7nsggfxnu52rck2vv4rvmdlkiu3zzui5du4xyclen53wid.onion"

pytestmark = pytest.mark.app_config(ONION_ADDRESS=ONION)


def test_a_clearnet_page_points_to_the_same_page_on_the_onion_service(client):
    home = client.get("/")
    safety = client.get("/safety?lang=fr&x=a%20b")

    assert home.headers["Onion-Location"] == f"http://{ONION}/"
    assert safety.headers["Onion-Location"] == f"http://{ONION}/safety?lang=fr&x=a%20b"


def test_a_path_the_header_cannot_hold_is_percent_encoded(client):
    answer = client.get("/caf%C3%A9\u00e9")

    assert answer.status_code == 404
    assert answer.headers["Onion-Location"] == f"http://{ONION}/caf%C3%A9%C3%A9"


def test_files_and_data_are_not_pages(client):
    script = client.get(asset_url("js/portal.js", client.application))
    script.close()

    assert "Onion-Location" not in script.headers
    assert "Onion-Location" not in client.get("/healthz").headers


@pytest.mark.app_config(ONION=True)
def test_the_onion_service_itself_does_not_point_anywhere(client):
    assert "Onion-Location" not in client.get("/").headers


def test_a_page_reached_at_the_onion_address_does_not_point_to_itself(client):
    assert "Onion-Location" not in client.get("/", headers={"Host": ONION}).headers


@pytest.mark.app_config(ONION_ADDRESS="")
def test_without_an_onion_address_nothing_is_sent(client):
    assert "Onion-Location" not in client.get("/").headers


def test_another_valid_address_is_accepted(tmp_path):
    app = unmigrated_app(tmp_path, ONION_ADDRESS=OTHER_ONION)

    assert app.config["ONION_ADDRESS"] == OTHER_ONION


# A typo in the address would send every Tor Browser user to a site nobody controls.
MISTAKES = {
    "with a scheme": f"http://{ONION}",
    "with a path": f"{ONION}/",
    "capitals": ONION.upper(),
    "one letter changed": "e" + ONION[1:],
    "v2, long retired": "expyuzz4wqqyqhjn.onion",
    "not onion": "duckduckgo.com",
    "56 characters without .onion": ONION.removesuffix(".onion"),
}


@pytest.mark.parametrize("address", MISTAKES.values(), ids=list(MISTAKES))
def test_an_address_that_cannot_be_an_onion_service_stops_the_portal(tmp_path, address):
    with pytest.raises(ValueError, match="PORTAL_ONION_ADDRESS") as refused:
        unmigrated_app(tmp_path, ONION_ADDRESS=address)

    assert repr(address) in str(refused.value)


def test_the_address_is_read_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("PORTAL_ONION_ADDRESS", "not-an-onion.onion")

    with pytest.raises(ValueError, match="56 letters a-z and digits 2-7"):
        unmigrated_app(tmp_path)
