import pytest
from django.urls import reverse

from core.models import AuditEvent
from participants.tests.factories import ExitFactory, ReferralFactory


@pytest.fixture
def admin_leader(leader):
    leader.is_staff = leader.is_superuser = True
    leader.save()
    return leader


def test_referral_changelist_is_read_only_and_audited(client, admin_leader):
    referral = ReferralFactory()
    client.force_login(admin_leader)
    response = client.get(reverse("admin:participants_referral_changelist"))
    assert response.status_code == 200
    assert AuditEvent.objects.filter(object_type="participants.Participant",
                                     object_id=str(referral.participant_id), user=admin_leader).exists()
    # No detail page in the admin: the audited participant page is the one place to read a person.
    assert client.get(reverse("admin:participants_referral_change", args=[referral.pk])).status_code in (302, 403)


def test_exit_changelist_logs_the_people_listed(client, admin_leader):
    exit_ = ExitFactory()
    client.force_login(admin_leader)
    assert client.get(reverse("admin:participants_exit_changelist")).status_code == 200
    assert AuditEvent.objects.filter(object_id=str(exit_.referral.participant_id), detail__startswith="Admin").exists()
