"""What goes into each report document: the final report's sections and the template contexts.

Shared by the PDF (core/pdf.py), the HTML preview and the dashboard, so all show the same
figures and the same charts.
"""

import datetime as dt

from django.utils.translation import gettext_lazy as _

from participants.models import EducationLevel, LabourMarketStatus, SupportKind
from reporting.charts import monthly_charts
from reporting.suppression import suppress_small_counts

# The final report's sections, in the order of *Slutrapport genomförande* (docs/domain.md).
FINAL_SECTIONS = [
    ("sammanfattning", _("Sammanfattning"),
     _("En kort sammanfattning av projektet: vad ni ville uppnå, vad ni gjorde och vad det blev.")),
    ("resultat", _("Projektets resultat"),
     _("Problemet, ambitionen och resultaten på individ-, organisations- och systemnivå.")),
    ("syfte_och_mal", _("Syfte och mål"),
     _("Målen mot utfallen: deltagare, andel till arbete eller studier, enkätens mått. Skäl till avvikelser.")),
    ("arbetssatt", _("Arbetssätt"),
     _("Metoden, till exempel kartläggning – matchning – arbetsträning – arbete.")),
    ("aktorer", _("Deltagande aktörer"),
     _("Samverkansparter, roller och bidrag; styrgrupp och referensgrupp och deras sammansättning.")),
    ("jamstalldhet", _("Jämställdhetsintegrering"),
     _("Hur jämställdhet har integrerats; siffrorna per kön fylls i automatiskt.")),
    ("tillganglighet", _("Tillgänglighet"), _("Hur projektet har arbetat med tillgänglighet.")),
    ("regionala_prioriteringar", _("Regionala prioriteringar"),
     _("Hur projektet har bidragit till regionala prioriteringar.")),
    ("spridning", _("Spridning och påverkansarbete"),
     _("Hur resultaten har spridits och vilket påverkansarbete som gjorts.")),
    ("extern_utvardering", _("Extern utvärdering"), _("Den externa utvärderingens slutsatser.")),
    ("egenutvardering", _("Egenutvärdering"), _("Projektets egen utvärdering.")),
    ("kommentarer", _("Kommentarer och tips"), _("Kommentarer och tips till andra projekt.")),
    ("kontaktpersoner", _("Kontaktpersoner"), _("Kontaktpersonerna fylls i automatiskt från projektet.")),
]
FINAL_SECTION_KEYS = [key for key, _title, _help in FINAL_SECTIONS]
SECTIONS_WITHOUT_TEXT = {"kontaktpersoner"}

PARTNER_ROLES = {"owner": _("Projektägare"), "co_financier": _("Medfinansiär"), "partner": _("Samverkanspart")}
EXIT_KINDS = {"enligt plan": _("Enligt plan"), "avbruten": _("Avbruten")}


def _category_labels(meta: dict) -> dict:
    """Names for the codes used as keys by the sections of reporting.indicators."""
    unknown = {"okänd": _("Uppgift saknas")}
    return {
        "activity_names": {**meta.get("activities", {}), **unknown},
        "support_groups": {**dict(SupportKind.Group.choices), **unknown},
        "education_levels": {**dict(EducationLevel.choices), "okänd": _("Utbildningsnivå okänd")},
        "labour_market_statuses": {**dict(LabourMarketStatus.choices), "okänd": _("Ställning okänd")},
    }


def _date(value: str) -> dt.date:
    return dt.date.fromisoformat(value)


# The charts each PDF shows (templates reporting/_monthly_body.html with pdf, _final_body.html); the dashboard
# shows them all.
# The monthly PDF draws the 12-month trends (docs/domain.md: "12-month trends as charts"); the areas and the survey
# against its targets are its tables with the same numbers (the dashboard draws them too). A chart costs the PDF
# as much to lay out as a page of table (docs/benchmarks.md § 3).
MONTHLY_PDF_CHARTS = frozenset({"trend", "trend_stock", "goal"})
FINAL_CHARTS = frozenset({"survey", "gender"})


ORGANISATION_TABLES = ("placements", "goals", "supervisors", "outcomes_by_host")


def organisation_tables(figures: dict, *, summarised: bool) -> dict:
    """Each per-organisation table's rows as the document shows them: in a PDF, a long table's summary
    (reporting.selectors.top_organisations: the largest organisations and a row for the others, every row in
    the XLSX); otherwise every row. Section → {"rows", "rest" (None when whole), "organisations"}."""
    tables = {}
    for section in ORGANISATION_TABLES:
        data = figures.get(section)
        if not isinstance(data, dict):
            continue
        rows = data.get("by_organisation") or []
        summary = data.get("top_organisations") if summarised else None
        if summary:
            tables[section] = {"rows": [rows[i] for i in summary["shown"]], "rest": summary["rest"],
                               "organisations": summary["organisations"]}
        else:
            tables[section] = {"rows": rows, "rest": None, "organisations": len(rows)}
    return tables


def monthly_context(figures: dict, *, suppress: bool = True, pdf: bool = False) -> dict:
    """Template context of the monthly report. The steering-group version is suppressed."""
    shown = suppress_small_counts(figures) if suppress else figures
    charts = {chart.key: chart for chart in monthly_charts(shown, only=MONTHLY_PDF_CHARTS if pdf else None)}
    meta = shown["meta"]
    trend = shown.get("trend") or {}
    trend_rows = [
        (charts["trend"].rows[i][0], starts, exits, places)
        for i, (starts, exits, places) in enumerate(zip(trend.get("starts", []), trend.get("exits", []),
                                                        trend.get("placements", []), strict=True))
    ] if "trend" in charts else []
    return {
        "figures": shown,
        "organisation_tables": organisation_tables(shown, summarised=pdf),
        "trend_rows": trend_rows,
        "meta": meta,
        "charts": charts,
        "period_start": _date(meta["period_start"]),
        "period_end": _date(meta["period_end"]),
        "generated_at": dt.datetime.fromisoformat(meta["generated_at"]),
        "agencies": meta.get("agencies", {}),
        "exit_reasons": meta.get("exit_reasons", {}),
        "exit_kinds": EXIT_KINDS,
        "genders": ["kvinna", "man", "icke-binär"],
        "small_max": int(meta.get("small_count_threshold", 5)) - 1,
        **_category_labels(meta),
        "title": _("Månadsrapport till styrgruppen"),
    }


def final_context(figures: dict, texts: dict) -> dict:
    """Template context of the final report: `texts` maps section key → FinalReportText (or None)."""
    meta = figures["meta"]
    sections = [
        {"key": key, "title": title, "text": texts.get(key)} for key, title, _help in FINAL_SECTIONS
    ]
    # Unfinished: a section whose text is not written yet (the contact persons come from the project).
    missing = [section["title"] for section in sections
               if section["key"] not in SECTIONS_WITHOUT_TEXT and not (section["text"] and section["text"].body)]
    return {
        "figures": figures,
        "organisation_tables": organisation_tables(figures, summarised=True),
        "meta": meta,
        "sections": sections,
        "charts": {chart.key: chart for chart in monthly_charts(figures, only=FINAL_CHARTS)},
        "period_start": _date(meta["period_start"]),
        "period_end": _date(meta["period_end"]),
        "generated_at": dt.datetime.fromisoformat(meta["generated_at"]),
        "agencies": meta.get("agencies", {}),
        "exit_reasons": meta.get("exit_reasons", {}),
        "exit_kinds": EXIT_KINDS,
        "partner_roles": PARTNER_ROLES,
        "draft": bool(missing),
        "missing_sections": missing,
        **_category_labels(meta),
        "genders": ["kvinna", "man", "icke-binär"],
        "title": _("Slutrapport genomförande"),
    }
