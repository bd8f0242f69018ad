"""Creating staff accounts from the command line (flask create-user)."""

import re

import pytest

from portal import accounts
from portal.models import User

from portal_testing import (
    STAFF_PASSWORD,
    members_organization,
    sign_in,
)
from portal_testing.auth import (
    ADMIN,
    HOME,
    NEW_PASSWORD,
    ONE_STEP_MEMBERS,
    ORG_MEMBER,
    account,
    database,
    location,
)

pytestmark = pytest.mark.app_config(**ONE_STEP_MEMBERS)


def test_create_user_generate_prints_a_password_that_signs_in(app, runner, client):
    result = runner.invoke(
        args=["create-user", "Amara.Admin@example.org", "--role", "admin", "--generate"]
    )

    assert result.exit_code == 0, result.output
    assert f"created admin {ADMIN}" in result.output
    password = re.search(r"password: (\S+)", result.output).group(1)
    assert accounts.password_problem(password) is None
    assert account(app, ADMIN).role == "admin"
    assert location(sign_in(client, ADMIN, password)) == "/staff/enrol"


def with_organization(app):
    with database(app):
        return members_organization().key


def test_create_user_asks_for_the_password_twice(app, runner, client):
    key = with_organization(app)
    result = runner.invoke(
        args=["create-user", ORG_MEMBER, "--role", "org_member", "--organization", key],
        input=f"{STAFF_PASSWORD}\n{STAFF_PASSWORD}\n",
    )

    assert result.exit_code == 0, result.output
    assert f"created org_member {ORG_MEMBER} of {key}" in result.output
    assert STAFF_PASSWORD not in result.output
    assert location(sign_in(client, ORG_MEMBER)) == HOME["org_member"]
    with database(app):
        assert User.by_email(ORG_MEMBER).organization.key == key


@pytest.mark.parametrize(
    ("options", "complaint"),
    [
        (["--role", "org_member"], "An organization member must belong to an organization"),
        (["--role", "org_member", "--organization", "nobody"], "no organization has the key"),
        (
            ["--role", "reviewer", "--organization", "test-members"],
            "An organization member must belong to an organization",
        ),
    ],
    ids=["member without organization", "unknown organization", "reviewer with organization"],
)
def test_create_user_links_members_and_only_members_to_an_organization(
    app, runner, options, complaint
):
    with_organization(app)
    result = runner.invoke(
        args=["create-user", ORG_MEMBER, *options], input=f"{STAFF_PASSWORD}\n{STAFF_PASSWORD}\n"
    )

    assert result.exit_code != 0
    assert complaint in result.output
    assert account(app, ORG_MEMBER) is None


def test_create_user_refuses_two_different_passwords(app, runner):
    key = with_organization(app)
    result = runner.invoke(
        args=["create-user", ORG_MEMBER, "--role", "org_member", "--organization", key],
        input=f"{STAFF_PASSWORD}\n{NEW_PASSWORD}\n",
    )

    assert result.exit_code != 0
    assert account(app, ORG_MEMBER) is None


def test_create_user_refuses_a_common_password(app, runner):
    result = runner.invoke(
        args=["create-user", ORG_MEMBER, "--role", "admin"],
        input="password1234\npassword1234\n",
    )

    assert result.exit_code != 0
    assert "Error: This password is too common. Choose another one." in result.output
    assert account(app, ORG_MEMBER) is None
