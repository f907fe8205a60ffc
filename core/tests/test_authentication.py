"""Authentication hardening: re-authentication before MFA and e-mail changes, login rate
limiting, inactivity timeout, password rules, no user enumeration, and the admin behind the same login and MFA."""

import datetime as dt

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret, hotp_value, yield_hotp_counters_from_time
from django.contrib.auth import password_validation
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from config.settings import base as base_settings
from core.sessions import REFRESHED_KEY

PASSWORD = "test-losen-123"  # organisations.tests.factories.UserFactory


@pytest.fixture(autouse=True)
def _fresh_rate_limit_cache():
    cache.clear()
    yield
    cache.clear()


def _login(client, email, password=PASSWORD):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def _with_totp(user) -> str:
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def _current_code(secret: str) -> str:
    counter = next(yield_hotp_counters_from_time())
    return f"{hotp_value(secret, counter):06d}"


# --- re-authentication ---------------------------------------------------------------------------


def test_reauthentication_is_switched_on():
    assert base_settings.ACCOUNT_REAUTHENTICATION_REQUIRED is True
    assert base_settings.MFA_REAUTHENTICATION_REQUIRED is True
    assert base_settings.ACCOUNT_REAUTHENTICATION_TIMEOUT <= 600


def test_email_change_asks_for_the_password_again(client, leader):
    client.force_login(leader)
    response = client.post(reverse("account_email"), {"action_add": "", "email": "ny@example.test"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    assert not EmailAddress.objects.filter(email="ny@example.test").exists()

    # A wrong password does not let the change through.
    response = client.post(response["Location"], {"password": "fel-losen-0000"})
    assert response.status_code == 200
    assert not EmailAddress.objects.filter(email="ny@example.test").exists()

    # The right one resumes the suspended request, and the address is added.
    client.post(f"{reverse('account_reauthenticate')}?next={reverse('account_email')}", {"password": PASSWORD})
    response = client.post(reverse("account_email"), {"action_add": "", "email": "ny2@example.test"})
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email")
    assert EmailAddress.objects.filter(user=leader, email="ny2@example.test").exists()


def test_removing_an_email_address_asks_for_the_password_again(client, leader):
    EmailAddress.objects.create(user=leader, email="extra@example.test", primary=False, verified=True)
    client.force_login(leader)
    response = client.post(reverse("account_email"), {"action_remove": "", "email": "extra@example.test"})
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    assert EmailAddress.objects.filter(email="extra@example.test").exists()


def test_setting_up_totp_asks_for_the_password_again(client, leader):
    client.force_login(leader)
    response = client.get(reverse("mfa_activate_totp"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert client.get(reverse("mfa_activate_totp")).status_code == 200


@pytest.mark.parametrize("url_name", ["mfa_deactivate_totp", "mfa_generate_recovery_codes"])
def test_changing_existing_mfa_asks_to_reauthenticate(client, leader, url_name):
    _with_totp(leader)
    client.force_login(leader)
    response = client.get(reverse(url_name))
    assert response.status_code == 302
    assert response["Location"].split("?")[0] in (reverse("account_reauthenticate"), reverse("mfa_reauthenticate"))
    response = client.post(reverse(url_name), {})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=leader, type=Authenticator.Type.TOTP).exists()


# --- login: rate limit, MFA challenge, no enumeration --------------------------------------------


def test_sixth_failed_login_within_five_minutes_is_refused(client, settings, leader):
    # The test settings switch rate limits off; use the real configured value here.
    settings.ACCOUNT_RATE_LIMITS = base_settings.ACCOUNT_RATE_LIMITS
    for _attempt in range(5):
        response = _login(client, leader.email, "fel-losen-0000")
        assert response.status_code == 200
        assert not _signed_in(client)
    response = _login(client, leader.email)  # even the right password
    assert not _signed_in(client)
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "För många misslyckade inloggningsförsök. Försök igen senare."]


def test_failed_logins_on_other_accounts_from_one_ip_are_limited_too(client, settings, leader):
    settings.ACCOUNT_RATE_LIMITS = base_settings.ACCOUNT_RATE_LIMITS
    for number in range(20):
        _login(client, f"gissning{number}@example.test", "fel-losen-0000")
    _login(client, leader.email)
    assert not _signed_in(client)


def test_without_failures_the_login_works(client, settings, leader):
    settings.ACCOUNT_RATE_LIMITS = base_settings.ACCOUNT_RATE_LIMITS
    for _attempt in range(4):
        _login(client, leader.email, "fel-losen-0000")
    response = _login(client, leader.email)
    assert response.status_code == 302
    assert _signed_in(client)


def test_login_with_totp_needs_the_code_before_the_session_is_signed_in(client, settings, leader):
    settings.MFA_REQUIRED = True
    secret = _with_totp(leader)
    response = _login(client, leader.email)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_authenticate"))
    assert not _signed_in(client)
    assert client.get(reverse("participants:list"))["Location"].startswith(reverse("account_login"))
    response = client.post(reverse("mfa_authenticate"), {"code": _current_code(secret)})
    assert response.status_code == 302
    assert _signed_in(client)
    assert client.get(reverse("participants:list")).status_code == 200


def test_login_does_not_tell_known_from_unknown_addresses(client, leader):
    known = _login(client, leader.email, "fel-losen-0000")
    unknown = _login(client, "finns-inte@example.test", "fel-losen-0000")
    assert known.status_code == unknown.status_code == 200
    assert known.context["form"].errors == unknown.context["form"].errors
    assert known.context["form"].errors  # there is an error, just the same one


def test_inactive_account_looks_like_a_wrong_password_too(client, leader):
    leader.is_active = False
    leader.save()
    inactive = _login(client, leader.email)
    assert not _signed_in(client)
    assert inactive.status_code in (200, 302)
    if inactive.status_code == 302:
        assert inactive["Location"] == reverse("account_inactive")


def test_password_reset_does_not_tell_known_from_unknown_addresses(client, leader):
    known = client.post(reverse("account_reset_password"), {"email": leader.email})
    unknown = client.post(reverse("account_reset_password"), {"email": "finns-inte@example.test"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    # Only the owner of a known address gets a reset link; the unknown address gets a neutral notice.
    assert [m.to for m in mail.outbox] == [[leader.email], ["finns-inte@example.test"]]
    assert "/accounts/password/reset/key/" in mail.outbox[0].body
    assert "/accounts/password/reset/key/" not in mail.outbox[1].body


# --- sessions ------------------------------------------------------------------------------------


def test_session_times_out_after_inactivity(client, leader):
    client.force_login(leader)
    assert client.get(reverse("home")).status_code == 200
    key = client.session.session_key
    expiry = Session.objects.get(session_key=key).expire_date
    expected = timezone.now() + dt.timedelta(seconds=base_settings.SESSION_COOKIE_AGE)
    assert abs((expiry - expected).total_seconds()) < 60

    # As if SESSION_COOKIE_AGE seconds passed without a request.
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    response = client.get(reverse("participants:list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def _age_refresh_stamp(client, seconds):
    session = client.session
    session[REFRESHED_KEY] -= seconds
    session.save()


def test_activity_keeps_the_session_alive(client, leader):
    client.force_login(leader)
    key = client.session.session_key
    soon = timezone.now() + dt.timedelta(minutes=1)
    Session.objects.filter(session_key=key).update(expire_date=soon)
    # The last refresh was longer ago than SESSION_REFRESH_SECONDS: this request pushes the expiry forward.
    _age_refresh_stamp(client, base_settings.SESSION_REFRESH_SECONDS + 1)
    Session.objects.filter(session_key=key).update(expire_date=soon)
    assert client.get(reverse("home")).status_code == 200
    expiry = Session.objects.get(session_key=key).expire_date
    expected = timezone.now() + dt.timedelta(seconds=base_settings.SESSION_COOKIE_AGE)
    assert abs((expiry - expected).total_seconds()) < 60


def test_a_request_soon_after_the_last_refresh_does_not_write_the_session(client, leader):
    client.force_login(leader)
    key = client.session.session_key
    stored = Session.objects.get(session_key=key)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("home")).status_code == 200
    writes = [q["sql"] for q in queries.captured_queries if "django_session" in q["sql"]
              and not q["sql"].lstrip().upper().startswith("SELECT")]
    assert writes == []
    after = Session.objects.get(session_key=key)
    assert (after.expire_date, after.session_data) == (stored.expire_date, stored.session_data)


def test_the_session_never_outlives_the_inactivity_timeout():
    # The expiry is pushed forward at most every SESSION_REFRESH_SECONDS, so a session ends at the latest
    # SESSION_COOKIE_AGE after the last request, and at the earliest that minus the refresh interval.
    assert base_settings.SESSION_SAVE_EVERY_REQUEST is False
    assert 0 < base_settings.SESSION_REFRESH_SECONDS <= base_settings.SESSION_COOKIE_AGE // 10


# --- password rules ------------------------------------------------------------------------------


@pytest.mark.parametrize("password", [
    "Kort-ord-11",          # 11 characters
    "123456789012345",      # only digits
    "qwerty123456",         # common
    "leader@example.test1",  # like the e-mail address
])
def test_weak_passwords_are_refused(leader, password):
    with pytest.raises(ValidationError):
        password_validation.validate_password(password, user=leader)


def test_a_long_uncommon_password_is_accepted(leader):
    password_validation.validate_password("Grön-kaffekopp-på-Slite-7", user=leader)


def test_password_change_applies_the_rules(client, leader):
    client.force_login(leader)
    response = client.post(reverse("account_change_password"), {
        "oldpassword": PASSWORD, "password1": "kort-11-tkn", "password2": "kort-11-tkn"})
    assert response.status_code == 200
    assert response.context["form"].errors
    leader.refresh_from_db()
    assert leader.check_password(PASSWORD)


# --- Django admin --------------------------------------------------------------------------------


@pytest.fixture
def staff_leader(leader):
    leader.is_staff = leader.is_superuser = True
    leader.save()
    return leader


def test_admin_is_behind_mfa_for_staff(client, settings, staff_leader):
    settings.MFA_REQUIRED = True
    client.force_login(staff_leader)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_activate_totp"))
    response = client.get("/admin/core/auditevent/")
    assert response["Location"].startswith(reverse("mfa_activate_totp"))


def test_admin_has_no_password_only_login_of_its_own(client, settings, staff_leader):
    settings.MFA_REQUIRED = True
    _with_totp(staff_leader)
    response = client.get("/admin/login/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    response = client.post("/admin/login/", {"username": staff_leader.email, "password": PASSWORD})
    assert not _signed_in(client)
    assert client.get("/admin/")["Location"].startswith("/admin/login/")


def test_admin_with_totp_after_the_challenge(client, settings, staff_leader):
    settings.MFA_REQUIRED = True
    secret = _with_totp(staff_leader)
    _login(client, staff_leader.email)
    client.post(reverse("mfa_authenticate"), {"code": _current_code(secret)})
    assert client.get("/admin/").status_code == 200
