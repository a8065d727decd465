"""Login lockout (django-axes, museum/settings.py and museum/lockout.py) on the real admin form:
MOUSEION_LOGIN_FAILURE_LIMIT failures lock that username at that address for the cool-off, even
with the right password; other addresses and other usernames are not locked; the lock lifts
after the cool-off; the address is the one behind the proxy."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings as django_settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import F
from django.test import Client

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/?next=/admin/"
PASSWORD = "right horse battery staple"
ADDRESS = "203.0.113.10"
LIMIT = django_settings.AXES_FAILURE_LIMIT


@pytest.fixture(autouse=True)
def fast_hashes(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def curator(make_user):
    user = make_user("curator")
    user.set_password(PASSWORD)
    user.save()
    return user


def sign_in(password: str, *, username: str = "curator", address: str = ADDRESS, **extra):
    return Client().post(
        LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address, **extra
    )


def signed_in(response) -> bool:
    return response.status_code == 302 and response["Location"] == "/admin/"


def fail_until_locked() -> None:
    for attempt in range(1, LIMIT + 1):
        response = sign_in("wrong")
        assert not signed_in(response)
        assert response.status_code == (429 if attempt == LIMIT else 200)


def test_defaults_lock_username_and_address_for_fifteen_minutes() -> None:
    assert LIMIT == 5
    cool_off = django_settings.AXES_COOLOFF_TIME
    assert cool_off == timedelta(minutes=15)
    assert django_settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert django_settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"


def test_locked_out_after_the_limit_even_with_the_right_password(curator) -> None:
    fail_until_locked()
    response = sign_in(PASSWORD)
    assert response.status_code == 429 and not signed_in(response)
    assert "Too many failed sign-ins" in response.content.decode()
    assert response["Retry-After"] == str(15 * 60)
    assert "_auth_user_id" not in response.client.session


def test_a_locked_sign_in_costs_no_password_hash(curator, monkeypatch) -> None:
    fail_until_locked()
    checked: list[str] = []
    monkeypatch.setattr(
        AbstractBaseUser, "check_password", lambda user, raw: checked.append(raw) or True
    )
    assert sign_in(PASSWORD).status_code == 429
    assert checked == []


def test_the_lock_lifts_after_the_cool_off(curator) -> None:
    fail_until_locked()
    assert sign_in(PASSWORD).status_code == 429
    # Time travel: every attempt now lies sixteen minutes in the past.
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(minutes=16))
    assert signed_in(sign_in(PASSWORD))


def test_another_address_or_username_is_not_locked(curator, make_user) -> None:
    fail_until_locked()
    assert signed_in(sign_in(PASSWORD, address="198.51.100.7"))
    educator = make_user("educator")
    educator.set_password(PASSWORD)
    educator.save()
    assert signed_in(sign_in(PASSWORD, username="educator"))


def test_a_person_who_mistypes_is_not_locked(curator) -> None:
    for _ in range(LIMIT - 1):
        assert sign_in("wrong").status_code == 200
    assert signed_in(sign_in(PASSWORD))
    # A success clears the count: a later typo starts from zero.
    for _ in range(LIMIT - 1):
        assert sign_in("wrong").status_code == 200
    assert signed_in(sign_in(PASSWORD))


def test_scripts_get_the_api_error_shape(curator) -> None:
    fail_until_locked()
    response = sign_in(PASSWORD, HTTP_ACCEPT="application/json")
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "login_locked"
    assert response["Retry-After"] == str(15 * 60)


def test_the_address_behind_the_proxy_is_locked(curator, settings) -> None:
    """With one proxy in front (MOUSEION_NUM_PROXIES=1) every request comes from the proxy's
    address: the lock falls on the forwarded one, whatever the client claims further left."""
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}

    def through_proxy(password: str, visitor: str, claim: str = "6.6.6.6"):
        forwarded = f"{claim}, {visitor}"
        return sign_in(password, address="127.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)

    for attempt in range(LIMIT):
        through_proxy("wrong", ADDRESS, claim=f"10.0.0.{attempt}")
    assert through_proxy(PASSWORD, ADDRESS).status_code == 429
    assert signed_in(through_proxy(PASSWORD, "198.51.100.7"))


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_the_lockout_answers_under_asgi() -> None:
    """uvicorn runs the middleware chain in async mode, where axes calls the lockout answer with
    other arguments: the same 429 page comes back there."""
    from asgiref.sync import sync_to_async
    from django.contrib.auth import get_user_model
    from django.test import AsyncClient

    await sync_to_async(get_user_model().objects.create_user)("curator", None, PASSWORD)
    client = AsyncClient()
    for _ in range(LIMIT):
        await client.post(LOGIN, {"username": "curator", "password": "wrong"})
    response = await client.post(LOGIN, {"username": "curator", "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.content.decode()
