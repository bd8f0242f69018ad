"""Settings of the clock and the queue that do not read stop the portal at start, with a
message that says what is wrong, rather than failing later in the worker."""

import re

import pytest

from portal import create_app

from portal_testing import portal_settings, unmigrated_app

TARGETS = "emergency=24h/72h, urgent=3d/7d, planned=7d/21d"
EXPIRY = "emergency=12h, urgent=2d, planned=3d"


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("TARGETS", "emergency=abc", "no value for planned, urgent"),
        (
            "TARGETS",
            "emergency=abc, urgent=3d/7d, planned=7d/21d",
            "emergency: write the first look and the decision as 24h/72h",
        ),
        (
            "TARGETS",
            "emergency=abc/72h, urgent=3d/7d, planned=7d/21d",
            "'abc' is not a duration such as 24h, 3d or 90m",
        ),
        (
            "TARGETS",
            "emergency=0h/72h, urgent=3d/7d, planned=7d/21d",
            "'0h' is not a duration such as 24h, 3d or 90m",
        ),
        ("TARGETS", "emergency=24h/72h, urgent=3d/7d", "no value for planned"),
        (
            "TARGETS",
            f"{TARGETS}, soon=1d/2d",
            "'soon' is not an urgency (emergency, urgent, planned)",
        ),
        (
            "TARGETS",
            "emergency=72h/24h, urgent=3d/7d, planned=7d/21d",
            "emergency: the decision cannot come before the first look",
        ),
        (
            "OFFER_EXPIRY",
            "emergency=12, urgent=2d, planned=3d",
            "'12' is not a duration such as 24h, 3d or 90m",
        ),
        ("OFFER_EXPIRY", "emergency=12h", "no value for planned, urgent"),
        ("SWEEP_MINUTES", 7, "PORTAL_SWEEP_MINUTES must divide an hour (1, 2, 5, 10, 15, 30)"),
        ("SWEEP_MINUTES", 0, "PORTAL_SWEEP_MINUTES must divide an hour (1, 2, 5, 10, 15, 30)"),
        ("SWEEP_MINUTES", 60, "PORTAL_SWEEP_MINUTES must divide an hour (1, 2, 5, 10, 15, 30)"),
        ("QUEUE_URL", "ftp://x", "PORTAL_QUEUE_URL must be empty (SQLite), redis://… or memory://"),
    ],
)
def test_a_setting_that_does_not_read_stops_the_portal_at_start(tmp_path, setting, value, message):
    # Every message names the variable at fault.
    expected = message if message.startswith("PORTAL_") else f"PORTAL_{setting}: {message}"
    with pytest.raises(ValueError, match=f"^{re.escape(expected)}$"):
        unmigrated_app(tmp_path, **{setting: value})


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("PORTAL_TARGETS", "emergency=72h/24h, urgent=3d/7d, planned=7d/21d", "decision cannot"),
        ("PORTAL_OFFER_EXPIRY", "emergency=12h, urgent=2 days, planned=3d", "'2 days' is not"),
        ("PORTAL_SWEEP_MINUTES", "7", "PORTAL_SWEEP_MINUTES must divide an hour"),
        ("PORTAL_QUEUE_URL", "ftp://x", "PORTAL_QUEUE_URL must be empty"),
    ],
)
def test_the_same_settings_from_the_environment_stop_the_portal_too(
    tmp_path, monkeypatch, variable, value, message
):
    monkeypatch.setenv(variable, value)
    settings = portal_settings(tmp_path)
    settings.pop(variable.removeprefix("PORTAL_"), None)  # the environment's value counts

    with pytest.raises(ValueError, match=re.escape(message)):
        create_app(settings)


def test_the_settings_as_shipped_start_the_portal(tmp_path):
    app = unmigrated_app(tmp_path, TARGETS=TARGETS, OFFER_EXPIRY=EXPIRY, SWEEP_MINUTES=5)

    assert app.config["QUEUE_URL"] == "memory://"


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("TARGETS", "emergency=abc/72h, urgent=3d/7d, planned=7d/21d"),
        ("OFFER_EXPIRY", "emergency=12, urgent=2d, planned=3d"),
        ("DIGEST_HOUR", 24),
        ("PURGE_HOUR", 24),
    ],
)
def test_the_message_names_the_setting_at_fault(tmp_path, setting, value):
    with pytest.raises(ValueError, match=f"PORTAL_{setting}"):
        unmigrated_app(tmp_path, **{setting: value})


def test_settings_in_instance_config_toml_are_read(tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.toml").write_text('OFFER_EXPIRY = "emergency=6h, urgent=1d, planned=2d"\n')

    app = unmigrated_app(tmp_path)

    assert app.config["OFFER_EXPIRY"] == "emergency=6h, urgent=1d, planned=2d"
