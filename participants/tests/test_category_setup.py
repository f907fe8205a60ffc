"""The category lists of the participants app (exit reasons, activities, support) are extended on the leader's
set-up pages like the organisations' own lists."""

from django.urls import reverse

from participants.models import ExitReason


def test_leader_extends_the_exit_reasons_and_deactivates_one(client, leader):
    client.force_login(leader)
    url = reverse("organisations:setup_category_create", args=["avslutsorsaker"])
    response = client.post(url, {"name": "Föräldraledighet", "is_work_or_studies": "", "sort_order": "20",
                                 "active": "on"})
    assert response.status_code == 302
    entry = ExitReason.objects.get(name="Föräldraledighet")
    assert entry.code == "foraldraledighet" and not entry.is_work_or_studies
    client.post(reverse("organisations:setup_category", args=["avslutsorsaker", entry.pk]),
                {"name": "Föräldraledighet", "sort_order": "20"})
    entry.refresh_from_db()
    assert not entry.active and entry.history.latest().history_user == leader
    page = client.get(reverse("organisations:setup_category_list", args=["avslutsorsaker"])).content.decode()
    assert "Föräldraledighet</a> <span class=\"small text-muted\">(kod foraldraledighet)</span></span>" \
           "<span class=\"badge text-bg-secondary\">inaktiv</span>" in page
