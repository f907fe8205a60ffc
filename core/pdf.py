"""PDF rendering, shared by the reports and the participant documents. The only module that imports WeasyPrint.

`render_pdf(template_name, context)` needs no request: templates refer to static files with
{% static %} ("/static/…"), which the URL fetcher reads from disk through the staticfiles finders
(so it works before collectstatic and in a worker). data: URLs (the inline SVG charts) are allowed;
every other URL — http(s), file, ftp — is blocked, so a report can never reach the network or
read files outside the static folders.

WeasyPrint and pikepdf (≈25 MB of a process's memory with the fontTools they pull in) and fontTools' WOFF2
decoder are imported by the first render, not by importing this module: every web worker imports the report
views, few render a PDF (tested by `reporting/tests/test_report_overhead.py`).
"""

import functools
import io
import logging
import mimetypes
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import timezone, translation

logger = logging.getLogger(__name__)

BASE_URL = "file:///"
PDF_OPTIONS = {
    "pdf_variant": "pdf/ua-1",  # tagged PDF/UA-1 (WeasyPrint ≥ 60; checked on 70)
    "pdf_tags": True,
    "custom_metadata": True,
}


class BlockedURL(ValueError):
    pass


def _static_path(url: str) -> str | None:
    """The file on disk for a /static/… URL, or None."""
    parts = urlsplit(url)
    if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
        return None
    path = unquote(parts.path)
    prefix = settings.STATIC_URL if settings.STATIC_URL.startswith("/") else "/" + settings.STATIC_URL
    if not path.startswith(prefix):
        return None
    relative = path[len(prefix):]
    if not relative or ".." in relative.split("/"):
        return None
    return finders.find(relative)


FONT_SUFFIXES = (".woff2", ".woff", ".ttf", ".otf")


@functools.lru_cache(maxsize=64)
def _font_body(path: str) -> bytes:
    """A font file's bytes, read and (WOFF2) decompressed once per process: WeasyPrint would otherwise
    decompress every web font on every render. WeasyPrint takes the plain sfnt bytes as they are."""
    with open(path, "rb") as handle:
        body = handle.read()
    if body[:4] == b"wOF2":
        from fontTools.ttLib import woff2  # noqa: PLC0415 - by the first render, like WeasyPrint

        out = io.BytesIO()
        woff2.decompress(io.BytesIO(body), out)
        body = out.getvalue()
    return body


def _static_body(path: str) -> bytes:
    if path.endswith(FONT_SUFFIXES):
        return _font_body(path)
    with open(path, "rb") as handle:
        return handle.read()


def make_url_fetcher():
    from weasyprint.urls import URLFetcher, URLFetcherResponse  # noqa: PLC0415 - by the first render

    class StaticOnlyFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)
            found = _static_path(url)
            if found is None:
                logger.warning("Blocked URL in PDF rendering: %s", url[:200])
                raise BlockedURL(f"Blocked URL in PDF rendering: {url[:200]}")
            mime_type, _encoding = mimetypes.guess_type(found)
            body = _static_body(found)
            return URLFetcherResponse(url, body=body, headers={"Content-Type": mime_type or "application/octet-stream"})

    return StaticOnlyFetcher(allowed_protocols={"data", "file"})


def render_html(template_name: str, context: dict) -> str:
    with translation.override("sv"), timezone.override("Europe/Stockholm"):
        return render_to_string(template_name, context)


def render_pdf(template_name: str, context: dict) -> bytes:
    """Render a Django template to PDF bytes (Swedish, Stockholm time, tagged, fonts embedded)."""
    html = render_html(template_name, context)
    from weasyprint import HTML  # noqa: PLC0415 - by the first render (see the module's docstring)

    from core.pdf_structure import repair_structure  # noqa: PLC0415 - pikepdf, likewise
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=make_url_fetcher(), media_type="print")
    return repair_structure(document.write_pdf(**PDF_OPTIONS))
