#!/usr/bin/env python
"""The placement list's pages as HTML files, to compare two versions of the code byte for byte.

    DATABASE_URL=postgres://... REDIS_URL=redis://... .venv/bin/python bench/list_html.py OUT_DIR
    (the same with the other checkout and another OUT_DIR, then: diff -r OUT_A OUT_B)

Production settings, the Django test client in this process, on a demo database (`seed_demo`). Every page for the
demo leader, a case worker (AF) and a first-line manager, in Swedish and English: no filter, each filter alone
(text, organisation, unit, municipality, area, status, "Ledig plats den" today and on another day, adaptations,
supervisor, idle days), combinations, invalid values, empty results, later and last pages, 10/25/50/100 a page,
every sort order, and the htmx partial of a few. The CSRF tokens and the CSP nonce, which differ from request to
request, are replaced by a mark; nothing else is changed. The files are named by user, language and URL; each
begins with its URL and status code.
"""

import datetime as dt
import hashlib
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from pages import setup_django  # noqa: E402

ORDERINGS = ("title", "-title", "organisation", "-organisation", "municipality", "-municipality", "available_from",
             "-available_from", "free", "-free", "idle_since", "-idle_since", "updated", "-updated")


def urls() -> list[tuple[str, bool]]:
    """(URL, htmx partial) of every page drawn."""
    from django.db.models import Count, Q
    from django.utils import timezone

    from organisations.models import Adaptation, OccupationalArea, Organisation, Unit
    from placements.models import Placement

    area = OccupationalArea.objects.annotate(n=Count("placements", filter=Q(placements__status="open"))) \
        .order_by("-n", "pk").first().pk
    organisation = Organisation.objects.filter(parent__isnull=True).order_by("pk").first().pk
    unit = Placement.objects.order_by("pk").values_list("unit_id", flat=True).first()
    municipality = Unit.objects.get(pk=unit).municipality
    adaptations = list(Adaptation.objects.filter(active=True).order_by("pk").values_list("pk", flat=True)[:2])
    today = timezone.localdate()
    later = (today + dt.timedelta(days=45)).isoformat()
    earlier = (today - dt.timedelta(days=200)).isoformat()
    one = f"adaptations={adaptations[0]}"
    both = "&".join(f"adaptations={a}" for a in adaptations)
    plain = [
        "", "?page=2", "?page=9999", "?page=last", "?page=abc", "?per_page=10", "?per_page=50", "?per_page=100",
        "?per_page=100&page=3", "?per_page=7", "?per_page=x",
        "?q=lager", "?q=%3Cb%3E", "?q=zzzzzzzzzz", f"?organisation={organisation}", f"?unit={unit}",
        f"?municipality={municipality}", f"?occupational_area={area}", "?status=open", "?status=paused",
        "?status=closed", "?status=bogus", f"?free_on={today.isoformat()}", f"?free_on={later}",
        f"?free_on={earlier}", "?free_on=inte-ett-datum", f"?{one}", f"?{both}", "?supervisor=trained",
        "?supervisor=untrained", "?idle_days=60", "?idle_days=0", "?idle_days=-1", "?idle_days=x",
        f"?status=open&occupational_area={area}&per_page=10", f"?status=open&occupational_area={area}&per_page=100",
        f"?status=open&occupational_area={area}&per_page=100&page=2", f"?free_on={later}&ordering=-free&per_page=100",
        "?free_on=inte-ett-datum&ordering=free&per_page=100", "?idle_days=60&ordering=idle_since&per_page=100",
        f"?organisation={organisation}&{one}&per_page=100", "?organisation=999999", "?unit=999999",
        f"?occupational_area={area}&q=zzzzzzzzzz",
    ]
    plain += [f"?ordering={o}&per_page=100" for o in ORDERINGS]
    plain += [f"?ordering={o}&per_page=25&page=4" for o in ORDERINGS]
    plain += ["?ordering=nonsense"]
    pages = [(f"/placements/{u}", False) for u in plain]
    pages += [(f"/placements/{u}", True) for u in ("", "?q=lager", f"?organisation={organisation}",
                                                   "?ordering=-free&per_page=100")]
    return pages


def main(out: Path) -> None:
    setup_django()
    from django.test import Client

    from core.models import User

    out.mkdir(parents=True, exist_ok=True)
    pages = urls()
    drawn = 0
    for email in ("ledare@demo.test", "af@demo.test", "chef@demo.test"):
        user = User.objects.get(email=email)
        for language in ("sv", "en"):
            client = Client(HTTP_X_FORWARDED_PROTO="https", HTTP_ACCEPT_LANGUAGE=language)
            client.force_login(user)
            client.cookies["django_language"] = language
            for url, partial in pages:
                response = client.get(url, headers={"HX-Request": "true"} if partial else {})
                html = response.content.decode()
                html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "CSRF", html)
                html = re.sub(r'nonce="[^"]+"', "NONCE", html)
                html = re.sub(r'"X-CSRFToken": "[^"]+"', "CSRF", html)
                name = hashlib.sha256(f"{url} {partial}".encode()).hexdigest()[:12]
                path = out / f"{email.split('@')[0]}-{language}-{name}.html"
                path.write_text(f"<!-- {url} htmx={partial} {response.status_code} -->\n{html}")
                drawn += 1
    print(f"{drawn} pages in {out}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
    main(Path(sys.argv[1]))
