"""The demo logins' password is hashed once per run, at full strength, and logs in with
Django's own hasher (the tests' fast hasher is left alone)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.hashers import (
    PBKDF2PasswordHasher,
    check_password,
    identify_hasher,
    make_password,
)
from django.test import Client

from senda.accounts.actions import member_add
from senda.accounts.models import Organisation
from senda.accounts.roles import Role
from senda.core.demo.accounts import (
    DEFAULT_HASHER,
    DEMO_PASSWORD,
    DemoPasswordHasher,
    one_hash_per_password,
)

pytestmark = pytest.mark.django_db


def test_one_hash_serves_every_demo_login_and_django_checks_it(
    settings: Any, org_a: Organisation
) -> None:
    settings.PASSWORD_HASHERS = [DEFAULT_HASHER]

    with one_hash_per_password():
        users = [
            member_add(
                actor=None,
                organisation=org_a,
                username=username,
                role=Role.HEALTH_PROMOTER,
                password=DEMO_PASSWORD,
            )[0].user
            for username in ("demo.one", "demo.two")
        ]

    first, second = (user.password for user in users)
    assert first == second
    hasher = identify_hasher(first)
    # An ordinary full-strength hash: nothing to upgrade at the first login.
    assert type(hasher) is PBKDF2PasswordHasher
    assert hasher.decode(first)["iterations"] == PBKDF2PasswordHasher.iterations
    assert not hasher.must_update(first)
    assert check_password(DEMO_PASSWORD, first)
    assert not check_password("another password", first)
    assert Client().login(username="demo.one", password=DEMO_PASSWORD)


def test_other_hashers_and_other_passwords_are_left_alone(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with one_hash_per_password():
        assert identify_hasher(make_password("one")).algorithm == "md5"

    hasher = DemoPasswordHasher()
    salt = hasher.salt()
    assert hasher.salt() == salt
    cheap = 1_000  # the cached result is what the hasher computes, for each password
    assert hasher.encode("one", salt, cheap) == PBKDF2PasswordHasher().encode("one", salt, cheap)
    assert hasher.encode("one", salt, cheap) != hasher.encode("two", salt, cheap)
