"""PDF rendering for the participant pages (the competence card).

participants may not import reporting, so this is a small twin of reporting's renderer with the same
safety: no request needed, /static/ resolved from disk, every other URL (remote or file) refused.
Candidate to move to core/pdf.py so both apps share one renderer.
"""

import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlparse

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import timezone, translation

BASE_URL = "http://pdf.invalid/"


def _static_path(url: str) -> Path | None:
    parsed = urlparse(url)
    if parsed.netloc != urlparse(BASE_URL).netloc or not parsed.path.startswith(settings.STATIC_URL):
        return None
    relative = unquote(parsed.path[len(settings.STATIC_URL):])
    if ".." in Path(relative).parts:
        return None
    found = finders.find(relative)
    return Path(found) if found else None


def _fetcher_class():
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticOnlyFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)
            path = _static_path(url)
            if path is None:
                raise ValueError(f"Blocked URL in PDF: {url[:100]}")
            mime, _encoding = mimetypes.guess_type(path.name)
            return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": mime or "application/octet-stream"})

    return StaticOnlyFetcher


def render_pdf(template: str, context: dict) -> bytes:
    from weasyprint import HTML

    with translation.override("sv"), timezone.override("Europe/Stockholm"):
        html = render_to_string(template, context)
    return HTML(string=html, base_url=BASE_URL, url_fetcher=make_url_fetcher(), media_type="print").write_pdf(
        pdf_variant="pdf/ua-1", pdf_tags=True)


def make_url_fetcher():
    return _fetcher_class()(allowed_protocols=("http", "data"))
