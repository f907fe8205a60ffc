from django.urls import reverse


def test_swedish_by_default_and_english_after_switching(client, leader, placement_a):
    client.force_login(leader)
    assert "Registrera plats" in client.get(reverse("placements:list")).content.decode()
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("placements:list")},
                           follow=True)
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert "Register placement" in html and "1 placement found" in html and "Free / total" in html
    assert "Language" in html  # the base template's switcher is translated too
