"""HTTP rate limits (museum/throttling.py) with the real default rates, and the API's
authentication: tokens for scripts, no HTTP Basic.

Each limited kind of request is flooded from one address until it is refused (429, Retry-After,
the API's JSON error shape, or a short text for pages) and a normal visit is served; limits are
per address for visitors and per account for users. Time is the throttles' clock, moved by hand.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.cache import cache
from django.core.management import call_command
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from museum.settings import THROTTLE_RATE_DEFAULTS
from museum.throttling import client_address
from tests.unit.factories import glb_bytes, make_artifact, upload

pytestmark = pytest.mark.django_db

VISITOR = "203.0.113.10"
OTHER_VISITOR = "203.0.113.20"


class Clock:
    """The throttles' clock (SimpleRateThrottle.timer), frozen until moved."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(SimpleRateThrottle, "timer", staticmethod(clock))
    return clock


@pytest.fixture(autouse=True)
def real_rates(settings) -> Iterator[None]:
    """The production defaults (tests/settings.py raises them for the rest of the suite)."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": dict(THROTTLE_RATE_DEFAULTS),
    }
    cache.clear()
    yield
    cache.clear()


def allowed(rate_name: str) -> int:
    """Requests per minute of a default rate."""
    count, period = THROTTLE_RATE_DEFAULTS[rate_name].split("/")
    assert period == "min"
    return int(count)


@dataclass(frozen=True)
class Limited:
    """One limited kind of request: its rate's scope and how to send one."""

    scope: str
    send: Callable[[APIClient, str], object]
    signed_in: bool = False

    @property
    def rate_name(self) -> str:
        return f"{self.scope}_{'user' if self.signed_in else 'anon'}"


def _search(client: APIClient, address: str):
    return client.get("/api/search", {"q": "bronze helmet"}, REMOTE_ADDR=address)


def _search_page(client: APIClient, address: str):
    return client.get("/search/", {"q": "bronze"}, REMOTE_ADDR=address)


def _similar(client: APIClient, address: str):
    return client.get("/api/artifacts/1/similar/", REMOTE_ADDR=address)


def _plan(client: APIClient, address: str):
    return client.post("/api/visits/plan", {"minutes": 30}, format="json", REMOTE_ADDR=address)


def _pdf(client: APIClient, address: str):
    return client.get("/artifacts/1/condition.pdf", REMOTE_ADDR=address)


def _upload(client: APIClient, address: str):
    # No file: a 400 from the view, after the throttle has counted it.
    return client.post("/api/artifacts/1/assets/", {}, format="multipart", REMOTE_ADDR=address)


def _mask(client: APIClient, address: str):
    return client.post("/api/condition-records/999999/corrections", {}, REMOTE_ADDR=address)


def _condition_check(client: APIClient, address: str):
    return client.post("/api/artifacts/999999/condition-check", REMOTE_ADDR=address)


def _restoration(client: APIClient, address: str):
    return client.post(
        "/api/artifacts/999999/restorations", {"kind": "surface"}, format="json",
        REMOTE_ADDR=address,
    )  # fmt: skip


LIMITED = [
    Limited("search", _search),
    Limited("search", _search, signed_in=True),
    Limited("search", _search_page),
    Limited("similar", _similar),
    Limited("plan", _plan),
    Limited("plan", _plan, signed_in=True),
    Limited("pdf", _pdf),
    Limited("pdf", _pdf, signed_in=True),
    Limited("upload", _upload, signed_in=True),
    Limited("upload", _mask, signed_in=True),
    Limited("upload", _condition_check, signed_in=True),
    Limited("upload", _restoration, signed_in=True),
]


def _id(case: Limited) -> str:
    return f"{case.send.__name__.strip('_')}-{'user' if case.signed_in else 'anon'}"


@pytest.fixture
def published_artifact() -> None:
    artifact = make_artifact(pk=1, title="Bronze helmet")
    assert artifact.pk == 1


def _client(case: Limited, api_client_for) -> APIClient:
    return api_client_for("curator") if case.signed_in else APIClient()


@pytest.mark.parametrize("case", LIMITED, ids=_id)
def test_a_flood_from_one_address_is_refused(
    case: Limited, clock: Clock, api_client_for, published_artifact
) -> None:
    client = _client(case, api_client_for)
    limit = allowed(case.rate_name)
    codes = [case.send(client, VISITOR).status_code for _ in range(limit)]
    assert 429 not in codes
    refused = case.send(client, VISITOR)
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 60
    if refused["Content-Type"].startswith("application/json"):
        assert refused.json()["error"]["code"] == "throttled"
    else:
        assert "Too many requests" in refused.content.decode()
    # The window slides: a minute later the same address is served again.
    clock.now += 60
    assert case.send(client, VISITOR).status_code != 429


@pytest.mark.parametrize("case", [c for c in LIMITED if not c.signed_in], ids=_id)
def test_visitor_limits_are_per_address(
    case: Limited, clock: Clock, published_artifact, api_client_for
) -> None:
    client = APIClient()
    for _ in range(allowed(case.rate_name)):
        case.send(client, VISITOR)
    assert case.send(client, VISITOR).status_code == 429
    assert case.send(APIClient(), OTHER_VISITOR).status_code != 429
    # A signed-in user at the refused address has an allowance of their own.
    assert case.send(api_client_for("curator"), VISITOR).status_code != 429


def test_user_limits_are_per_account(clock: Clock, make_user, published_artifact) -> None:
    first, second = APIClient(), APIClient()
    first.force_login(make_user("curator"))
    second.force_login(make_user("superuser"))
    for _ in range(allowed("upload_user")):
        _upload(first, VISITOR)
    assert _upload(first, VISITOR).status_code == 429
    assert _upload(first, OTHER_VISITOR).status_code == 429  # the account, wherever it is
    assert _upload(second, VISITOR).status_code == 400  # another account at the same address


def test_general_visitor_rate_covers_the_whole_api(clock: Clock) -> None:
    client = APIClient()
    for _ in range(allowed("anon")):
        assert client.get("/api/exhibitions/", REMOTE_ADDR=VISITOR).status_code == 200
    refused = client.get("/api/artifacts/", REMOTE_ADDR=VISITOR)
    assert refused.status_code == 429 and refused.json()["error"]["code"] == "throttled"
    assert client.get("/api/artifacts/", REMOTE_ADDR=OTHER_VISITOR).status_code == 200
    # Pages are not API calls: the visitor still sees the museum.
    assert client.get("/", REMOTE_ADDR=VISITOR).status_code == 200


def test_general_user_rate(clock: Clock, api_client_for) -> None:
    client = api_client_for("curator")
    for _ in range(allowed("user")):
        client.get("/api/jobs/", REMOTE_ADDR=VISITOR)
    assert client.get("/api/jobs/", REMOTE_ADDR=VISITOR).status_code == 429


def test_a_busy_visitor_is_never_refused(clock: Clock, published_artifact) -> None:
    """A quick person within one minute: pages, a dozen searches, every artifact's "more like
    this", a few plans and reports. Nothing is refused."""
    client = APIClient()
    requests = [lambda: client.get("/", REMOTE_ADDR=VISITOR)]
    requests += [lambda: _search(client, VISITOR), lambda: _search_page(client, VISITOR)] * 6
    requests += [lambda: client.get("/artifacts/1/", REMOTE_ADDR=VISITOR)] * 20
    requests += [lambda: _similar(client, VISITOR)] * 20
    requests += [lambda: _plan(client, VISITOR)] * 5
    requests += [lambda: _pdf(client, VISITOR)] * 3
    requests += [lambda: client.get("/api/artifacts/", REMOTE_ADDR=VISITOR)] * 30
    for send in requests:
        clock.now += 0.5
        assert send().status_code != 429


def test_a_busy_curator_is_never_refused(clock: Clock, api_client_for, published_artifact) -> None:
    """A curator's minute: twenty uploads, condition checks, polling a job every second."""
    client = api_client_for("curator")
    for _ in range(20):
        assert _upload(client, VISITOR).status_code == 400
        assert _condition_check(client, VISITOR).status_code == 404
    for _ in range(60):
        clock.now += 1
        assert client.get("/api/jobs/", REMOTE_ADDR=VISITOR).status_code == 200


def test_client_address_behind_proxies(rf, settings) -> None:
    request = rf.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.7")
    # Default: uvicorn's --proxy-headers has already put the visitor in REMOTE_ADDR.
    assert client_address(request) == "127.0.0.1"
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    # One proxy: the address it saw; the client's own claim (6.6.6.6) is ignored.
    assert client_address(request) == "198.51.100.7"
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 2}
    assert client_address(request) == "6.6.6.6"
    assert client_address(rf.get("/", REMOTE_ADDR="192.0.2.1")) == "192.0.2.1"


def test_forwarded_address_is_what_is_limited(clock: Clock, settings) -> None:
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    client = APIClient()

    def plan(visitor: str, claim: str = "6.6.6.6"):
        return client.post(
            "/api/visits/plan", {"minutes": 30}, format="json",
            REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=f"{claim}, {visitor}",
        )  # fmt: skip

    for index in range(allowed("plan_anon")):
        plan(VISITOR, claim=f"10.0.0.{index}")  # a changing claim does not help
    assert plan(VISITOR).status_code == 429
    assert plan(OTHER_VISITOR).status_code != 429  # the proxy is not one shared address


# Authentication: tokens for scripts, no HTTP Basic.


def _basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def test_basic_credentials_are_not_accepted_and_cost_no_hash(
    make_user, monkeypatch: pytest.MonkeyPatch
) -> None:
    curator = make_user("curator")
    curator.set_password("right horse battery")
    curator.save()
    checked: list[str] = []
    original = AbstractBaseUser.check_password

    def spy(user: AbstractBaseUser, raw_password: str | None) -> bool:
        checked.append(user.get_username())
        return original(user, raw_password)

    monkeypatch.setattr(AbstractBaseUser, "check_password", spy)
    client = APIClient()
    header = _basic("curator", "right horse battery")
    created = client.post(
        "/api/artifacts/", {"title": "Basic"}, format="json", HTTP_AUTHORIZATION=header
    )
    assert created.status_code in (401, 403)
    assert created.json()["error"]["code"] == "not_authenticated"
    drafts = client.get("/api/artifacts/", HTTP_AUTHORIZATION=_basic("curator", "wrong"))
    assert drafts.status_code == 200  # an anonymous reader: published records only
    assert checked == []


def test_a_token_uploads_a_source(make_user) -> None:
    token = Token.objects.create(user=make_user("curator")).key
    artifact = make_artifact(published=False)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = client.post(
        f"/api/artifacts/{artifact.pk}/assets/",
        {"file": upload("scan.glb", glb_bytes())},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    assert artifact.assets.filter(kind="source").count() == 1
    # Without the token the draft artifact does not exist.
    assert APIClient().post(f"/api/artifacts/{artifact.pk}/assets/", {}).status_code == 404
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION=f"Token {token[::-1]}")
    refused = bad.get("/api/jobs/")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "authentication_failed"


def test_tokens_come_from_the_management_command(make_user) -> None:
    make_user("curator")
    out = io.StringIO()
    call_command("drf_create_token", "curator", stdout=out)
    key = out.getvalue().split()[2]
    assert Token.objects.get(user__username="curator").key == key
