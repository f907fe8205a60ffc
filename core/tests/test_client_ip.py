"""The client's address behind the TLS proxy (X-Forwarded-For, settings.TRUSTED_PROXY_COUNT): the login rate
limits count per client address and per account, never per proxy, and the audit log records the client."""

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core.cache import cache
from django.test import RequestFactory
from django.urls import reverse

from config.settings import base as base_settings
from core.audit import audit_log, client_ip
from core.models import AuditEvent
from organisations.tests.factories import UserFactory

PASSWORD = "test-losen-123"  # organisations.tests.factories.UserFactory
PROXY = "10.0.0.2"


@pytest.fixture(autouse=True)
def _rate_limits_on(settings):
    settings.ACCOUNT_RATE_LIMITS = base_settings.ACCOUNT_RATE_LIMITS
    settings.TRUSTED_PROXY_COUNT = settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    cache.clear()
    yield
    cache.clear()


def _login(client, email, password, address, sent=""):
    """A login as the proxy forwards it: the proxy appends the address it saw to what the client sent."""
    forwarded = f"{sent}, {address}" if sent else address
    return client.post(reverse("account_login"), {"login": email, "password": password},
                       REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_the_default_is_the_docker_compose_shape():
    assert base_settings.TRUSTED_PROXY_COUNT == 1
    assert base_settings.ALLAUTH_TRUSTED_PROXY_COUNT == base_settings.TRUSTED_PROXY_COUNT


@pytest.mark.parametrize(("count", "forwarded", "expected"), [
    (1, "203.0.113.9", "203.0.113.9"),
    (1, "1.2.3.4, 203.0.113.9", "203.0.113.9"),      # the client's own header is never believed
    (2, "1.2.3.4, 203.0.113.9, 10.0.0.7", "203.0.113.9"),
    (1, "", PROXY),                                  # no header: the peer itself
    (0, "203.0.113.9", PROXY),                       # no proxy trusted: the header is ignored
    (2, "203.0.113.9", PROXY),                       # fewer entries than proxies: never a guess, never a 500
    (1, "inte-en-adress", None),
])
def test_client_ip_reads_the_forwarded_chain_from_the_right(settings, count, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = count
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    assert client_ip(RequestFactory().get("/", REMOTE_ADDR=PROXY, **headers)) == expected


def test_wrong_passwords_from_one_client_do_not_lock_out_everyone_behind_the_proxy(client, db):
    victims = [UserFactory(email=f"person{n}@example.test") for n in range(5)]
    for number, user in enumerate(victims):
        for _attempt in range(5):
            _login(client, user.email, "fel-losen-0000", f"203.0.113.{number + 10}")
    colleague = UserFactory(email="kollega@example.test")
    response = _login(client, colleague.email, PASSWORD, "198.51.100.7")
    assert response.status_code == 302 and _signed_in(client)


def test_the_limit_is_per_account_and_per_client_address(client, db):
    target = UserFactory(email="mal@example.test")
    for _attempt in range(5):
        _login(client, target.email, "fel-losen-0000", "203.0.113.66")
    _login(client, target.email, PASSWORD, "198.51.100.1")  # per account: even from elsewhere
    assert not _signed_in(client)

    for number in range(20):
        _login(client, f"gissning{number}@example.test", "fel-losen-0000", "203.0.113.77")
    other = UserFactory(email="annan@example.test")
    _login(client, other.email, PASSWORD, "203.0.113.77")  # per address: that address is refused
    assert not _signed_in(client)
    response = _login(client, other.email, PASSWORD, "203.0.113.78")
    assert response.status_code == 302 and _signed_in(client)


def test_a_client_cannot_escape_the_limit_by_sending_its_own_header(client, db):
    for number in range(20):
        _login(client, f"gissning{number}@example.test", "fel-losen-0000", "203.0.113.80", sent=f"1.1.1.{number}")
    user = UserFactory(email="smitare@example.test")
    _login(client, user.email, PASSWORD, "203.0.113.80", sent="9.9.9.9")
    assert not _signed_in(client)


def test_wrong_totp_codes_count_against_that_account_not_the_office(client, db):
    secret_holder = UserFactory(email="totp@example.test")
    TOTP.activate(secret_holder, generate_totp_secret())
    assert _login(client, secret_holder.email, PASSWORD, "203.0.113.90").status_code == 302
    for _attempt in range(5):
        client.post(reverse("mfa_authenticate"), {"code": "000000"}, REMOTE_ADDR=PROXY,
                    HTTP_X_FORWARDED_FOR="203.0.113.90")
    refused = client.post(reverse("mfa_authenticate"), {"code": "000000"}, REMOTE_ADDR=PROXY,
                          HTTP_X_FORWARDED_FOR="203.0.113.90")
    assert "För många misslyckade inloggningsförsök" in refused.content.decode()
    client.logout()
    colleague = UserFactory(email="kontorskollega@example.test")
    response = _login(client, colleague.email, PASSWORD, "203.0.113.90")  # same office address
    assert response.status_code == 302 and _signed_in(client)


def test_the_audit_log_records_the_client_not_the_proxy(client, leader):
    request = RequestFactory().get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.5")
    audit_log(user=leader, action=AuditEvent.Action.VIEW, object_type="x", request=request)
    client.force_login(leader)
    response = client.get(reverse("core:audit_log"), {"format": "csv"}, REMOTE_ADDR=PROXY,
                          HTTP_X_FORWARDED_FOR="203.0.113.6")
    b"".join(response.streaming_content)
    assert list(AuditEvent.objects.order_by("pk").values_list("object_type", "ip_address")) == [
        ("x", "203.0.113.5"), ("core.AuditEvent", "203.0.113.6")]
