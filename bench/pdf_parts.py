"""A report's PDF laid out whole against laid out as two parts at once (core.pdf.PART_BREAK), on the database in
DATABASE_URL, as the worker's render child does it: each render in a child forked from this warm process.

    DATABASE_URL=postgres://base:base@127.0.0.1:5440/qrep .venv/bin/python bench/pdf_parts.py [--rounds 5]

The monthly (the default project's default month, suppressed, as the steering group's PDF) and the final report
(over the project's life): their HTML is rendered here once; then, alternated for `--rounds`, the wall of the PDF
rendered whole (PDF_RENDER_IN_PARTS off) and in parts (on), each in a fresh child; and, each in a child of its own
and one after the other, each part's layout and write on its own (without the other, so its page numbers are its
own): how evenly the break shares the work. Prints one JSON line of medians (ms) and the PDFs' sizes.
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import cpu_probe_s, setup_production_django  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    setup_production_django()
    from django.conf import settings
    from django.utils import timezone, translation

    from core import pdf
    from core.models import User
    from reporting.forms import DashboardForm
    from reporting.models import FinalReportText
    from reporting.selectors import final_figures, monthly_report_figures
    from reporting.services import PDF_TEMPLATES, STOCKHOLM, final_context, monthly_context

    form = DashboardForm({}, user=User.objects.get(email="ledare@demo.test"))
    project = form.selected_project()
    start, end = form.selected_period()
    with translation.override("sv"), timezone.override(STOCKHOLM):
        monthly = monthly_report_figures(project, start, end)
        final = final_figures(project, project.start_date, end)
        texts = {text.section: text for text in FinalReportText.objects.filter(project=project)}
        documents = {
            "monthly": pdf.render_html(PDF_TEMPLATES["monthly"], monthly_context(monthly, suppress=True, pdf=True)),
            "final": pdf.render_html(PDF_TEMPLATES["final"], final_context(final, texts)),
        }
    from django.db import connections

    connections.close_all()  # the children must not share this process's connection
    pdf.warm_renderer()

    def timed_render(html, in_parts):
        settings.PDF_RENDER_IN_PARTS = in_parts

        def work():
            began = time.perf_counter()
            data = pdf._render(html)
            return time.perf_counter() - began, len(data)

        return pdf.run_in_child(work)

    def part_alone(part_html):
        def work():
            began = time.perf_counter()
            document = pdf._laid_out(part_html)
            laid_out = time.perf_counter()
            document.write_pdf(**pdf.PDF_OPTIONS)
            return laid_out - began, time.perf_counter() - laid_out

        return pdf.run_in_child(work)

    out = {"db": settings.DATABASES["default"]["NAME"], "load_before": os.getloadavg(), "cpu_probe_s": cpu_probe_s(),
           "rounds": args.rounds}
    for name, html in documents.items():
        timed_render(html, True)  # the first render of each document warms what the others share
        whole, parts, sizes = [], [], {}
        for _round in range(args.rounds):
            for in_parts, into in ((False, whole), (True, parts)):
                seconds, size = timed_render(html, in_parts)
                into.append(seconds)
                sizes["parts" if in_parts else "whole"] = size
        first, second = pdf.split_parts(html)
        alone = {"first": [part_alone(first) for _ in range(args.rounds)],
                 "second": [part_alone(second) for _ in range(args.rounds)]}
        out[name] = {
            "whole_ms": round(1000 * statistics.median(whole)), "whole_min_ms": round(1000 * min(whole)),
            "parts_ms": round(1000 * statistics.median(parts)), "parts_min_ms": round(1000 * min(parts)),
            "bytes": sizes,
            **{f"{part}_{phase}_ms": round(1000 * statistics.median(run[index] for run in runs))
               for part, runs in alone.items() for index, phase in enumerate(("layout", "write"))},
        }
    out["load_after"] = os.getloadavg()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
