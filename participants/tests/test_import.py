import datetime as dt
import io
import re
import zipfile

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEvent, ImportJob
from participants import services
from participants.imports import ImportFileError, participants_import, read_table
from participants.models import Exit, ExitKind, FollowUp90, Participant, Referral
from participants.tests.factories import ParticipantFactory
from placements.models import Assignment
from placements.tests.factories import AssignmentFactory

HEADER = ("participant_ref,gender,birth_year,agency,referral_date,start_date,end_date,exit_kind,exit_reason,"
          "support_before,activity_before,activity_after,placement_code,followup_90_status")

# A year of history: 10 rows = 10 starts; P1 starts twice (re-enrolment), 3 anonymous rows.
GOOD = "\n".join([
    HEADER,
    "P1,kvinna,1985,af,2025-01-10,2025-01-20,2025-04-30,enligt plan,Arbete,a-kassa,arbetssökande,arbete,PLATS-A,arbete",
    "P1,kvinna,1985,AF,2025-09-01,2025-09-15,,,,a-kassa,arbetssökande,,,",
    "P2,man,1990,FK,2025-02-01,2025-02-10,2025-06-30,avbruten,sjukdom,sjukpenning,annat,annat,,",
    "P3,icke-binär,,fk,2025-03-01,2025-03-05,2025-03-06,felregistrering,,,,,,",
    "P4,Kvinna,1975,Arbetsförmedlingen,2025-04-01,2025-04-10,2025-10-10,Enligt plan,arbete med stöd,,,arbete,,studier",
    "P5,man,2000,af,2025-05-01,2025-05-02,2025-11-30,enligt plan,Studier,,,studier,,",
    ",kvinna,,af,2025-06-01,2025-06-03,,,,,,,,",
    ",man,,fk,2025-07-01,2025-07-01,2025-12-01,avbruten,flyttat,,,,,",
    ",kvinna,,af,,2025-08-01,,,,,,,,",
    "P6,man,1988,af,2025-10-01,2025-10-05,,,,,,,PLATS-A,",
])


@pytest.fixture
def reasons(categories):
    from participants.models import ExitReason

    ExitReason.objects.get_or_create(code="flyttat", defaults={"name": "Flyttat"})
    return categories


def run(project, text, dry_run=False, name="history.csv", user=None):
    headers, rows, _notices = read_table(text.encode())
    return participants_import(user=user, project=project, headers=headers, rows=rows, dry_run=dry_run)


def test_year_of_history_gives_the_right_numbers(project, agency_af, agency_fk, one_place_a, reasons, leader):
    result = run(project, GOOD, user=leader)
    assert result.errors == []
    assert Referral.objects.count() == 10  # starts
    assert Participant.objects.count() == 9  # unique individuals: P1..P6 + 3 anonymous
    assert Participant.objects.filter(identity=Participant.Identity.ANONYMOUS).count() == 3
    assert Participant.objects.get(code="P1").referrals.count() == 2
    by_kind = {kind: Exit.objects.filter(kind=kind).count() for kind in ExitKind.values}
    assert by_kind == {"enligt plan": 3, "avbruten": 2, "felregistrering": 1}
    by_reason = {e.reason.code if e.reason else None: 1 for e in Exit.objects.all()}
    assert set(by_reason) == {"arbete", "sjukdom", None, "arbete-med-stod", "studier", "flyttat"}
    assert Exit.objects.get(referral__participant__code="P4").reason.code == "arbete-med-stod"
    # exits counted in figures exclude registrations in error
    assert Exit.objects.exclude(kind=ExitKind.REGISTERED_IN_ERROR).count() == 5
    # placements: completed when an end date is given, ongoing otherwise
    assert Assignment.objects.get(referral__participant__code="P1").status == Assignment.Status.COMPLETED
    assert Assignment.objects.get(referral__participant__code="P6").status == Assignment.Status.ONGOING
    # 90-day follow-ups: planned for each counted exit, activity from followup_90_status
    assert FollowUp90.objects.count() == 5
    p1 = FollowUp90.objects.get(exit__referral__participant__code="P1")
    assert p1.activity.code == "arbete" and p1.due_on == dt.date(2025, 7, 29)
    assert FollowUp90.objects.get(exit__referral__participant__code="P4").activity.code == "studier"
    # an anonymous row without referral_date uses the start date
    assert Referral.objects.filter(referral_date=dt.date(2025, 8, 1)).count() == 1
    assert result.starts == 10 and result.new_participants == 6 and result.anonymous_participants == 3
    assert AuditEvent.objects.filter(action=AuditEvent.Action.IMPORT).count() == 1


def test_dry_run_saves_nothing(project, agency_af, agency_fk, one_place_a, reasons):
    result = run(project, GOOD, dry_run=True)
    assert result.ok and result.starts == 10 and not result.saved
    assert not Referral.objects.exists() and not Participant.objects.exists()


def test_known_participant_gets_a_new_start(project, agency_af, reasons):
    existing = ParticipantFactory(code="P9", gender="man")
    result = run(project, HEADER + "\nP9,man,,af,2025-01-01,,,,,,,,,")
    assert result.ok and result.known_participants == 1 and result.new_participants == 0
    assert existing.referrals.count() == 1


def test_known_participants_birth_years_are_written_in_key_order(project, agency_af, reasons, monkeypatch):
    """Two imports filling in the birth years of the same known people lock them in the same (key) order, whatever
    the order of their files' rows: each batch of the update in ascending keys, never a later batch below an
    earlier one (which could deadlock two imports)."""
    people = [ParticipantFactory(code=f"K{n}", gender="man", birth_year=None) for n in range(3)]
    monkeypatch.setattr(services, "IMPORT_BATCH", 1)
    rows = [f"K{n},man,{1980 + n},af,2025-01-0{n + 1},,,,,,,,," for n in (2, 0, 1)]
    with CaptureQueriesContext(connection) as queries:
        result = run(project, HEADER + "\n" + "\n".join(rows))
    assert result.ok
    table = Participant._meta.db_table
    updated = [int(re.search(r"IN \((\d+)\)", q["sql"]).group(1)) for q in queries.captured_queries
               if q["sql"].startswith(f'UPDATE "{table}"') and "birth_year" in q["sql"]]
    assert updated == sorted(p.pk for p in people)
    assert [Participant.objects.get(pk=p.pk).birth_year for p in people] == [1980, 1981, 1982]


def test_another_agencys_participant_is_never_given_a_start(project, agency_af, agency_fk, reasons):
    """An Af row naming an FK participant's code would show FK's client to Af's case workers: refused."""
    fk_client = ParticipantFactory(code="FK-2026-ABC123", gender="man")
    Referral.objects.create(participant=fk_client, project=project, agency=agency_fk,
                            referral_date=dt.date(2025, 1, 1))
    result = run(project, HEADER + "\nFK-2026-ABC123,man,,af,2025-03-01,,,,,,,,,")
    assert not result.ok and not result.saved
    assert [(error.row, error.column) for error in result.errors] == [(2, "participant_ref")]
    assert "annan myndighets deltagare" in result.errors[0].message
    assert list(fk_client.referrals.values_list("agency__code", flat=True)) == [agency_fk.code]
    # The agency that referred the participant may add a start.
    assert run(project, HEADER + "\nFK-2026-ABC123,man,,fk,2025-03-01,,,,,,,,,").ok


def test_one_code_with_two_agencies_in_a_file_is_refused(project, agency_af, agency_fk, reasons):
    result = run(project, HEADER + "\nP7,man,,af,2025-01-01,,,,,,,,,\nP7,man,,fk,2025-02-01,,,,,,,,,")
    assert [(error.row, error.column) for error in result.errors] == [(3, "agency")]
    assert not Participant.objects.filter(code="P7").exists()


def test_bad_file_lists_errors_per_row_and_saves_nothing(project, agency_af, agency_fk, one_place_a, reasons):
    bad = "\n".join([
        HEADER,
        "P1,kvinna,1985,af,2025-01-10,2025-01-20,2025-04-30,enligt plan,arbete,,,,,",  # fine
        "P2,okänd,1985,af,2025-01-10,,,,,,,,,",  # gender
        "P3,man,1985,xx,2025-13-01,,,,,,,,,",  # agency, date
        "P4,man,1985,af,2025-02-01,2025-01-01,,,,,,,,",  # start before referral
        "P5,man,1985,af,2025-02-01,2025-02-01,2025-03-01,,,,,,,",  # end without kind
        "P6,man,1985,af,2025-02-01,2025-02-01,2025-03-01,klar,okänd orsak,,,,NOPE,",  # kind, reason, placement
        ",man,,af,2025-02-01,,,,,,,,,",  # anonymous without start date
        "P1,man,1985,af,2025-05-01,,,,,,,,,",  # same ref, other gender
    ])
    result = run(project, bad)
    assert not result.ok
    found = {(e.row, e.column) for e in result.errors}
    assert (3, "gender") in found
    assert {(4, "agency"), (4, "referral_date")} <= found
    assert (5, "start_date") in found
    assert (6, "exit_kind") in found
    assert {(7, "exit_kind"), (7, "exit_reason"), (7, "placement_code")} <= found
    assert (8, "start_date") in found
    assert (9, "gender") in found
    assert all(e.row != 2 for e in result.errors)
    assert all(e.message for e in result.errors)
    assert not Referral.objects.exists() and not Participant.objects.exists()


def test_unknown_and_missing_columns_are_reported(project):
    result = run(project, "deltagarkod,hemlig\nP1,x")
    columns = {e.column for e in result.errors}
    assert {"hemlig", "gender", "agency", "referral_date"} <= columns


def test_swedish_headers_semicolons_and_bom(project, agency_af, reasons):
    text = "\ufeffDeltagarkod;Kön;Myndighet;Anvisningsdatum;Startdatum;Slutdatum;Avslutstyp;Avslutsorsak\n" \
           "S1;kvinna;Af;2025-01-01;2025-01-02;2025-02-01;avbruten;Övrigt\n"
    result = run(project, text)
    assert result.ok, result.errors
    assert Exit.objects.get().reason.code == "ovrigt"


def test_xlsx_is_read(project, agency_af, reasons):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["participant_ref", "gender", "agency", "referral_date", "start_date"])
    sheet.append(["X1", "man", "af", dt.date(2025, 1, 1), dt.datetime(2025, 1, 3)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    headers, rows, _notices = read_table(buffer.getvalue())
    assert rows == [["X1", "man", "af", "2025-01-01", "2025-01-03"]]
    assert participants_import(user=None, project=project, headers=headers, rows=rows).ok


def _zip(**parts) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name.replace("__", "/"), content)
    return buffer.getvalue()


@pytest.mark.parametrize("data, message", [
    (b"x" * (5 * 1024 * 1024 + 1), "för stor"),
    (b"\x00\x01binary\x00", "varken"),
    (_zip(**{"hello.txt": "x"}), "inte en XLSX"),
    (_zip(**{"[Content_Types].xml": "<x/>", "xl__workbook.xml": "0" * (60 * 1024 * 1024)}), "zip-bomb"),
    (b"   ", "tom"),
])
def test_unsafe_or_unreadable_files_are_refused(data, message):
    """The participant importer uses the placement importer's safety checks."""
    with pytest.raises(ImportFileError, match=message):
        read_table(data)


def test_windows_1252_csv_is_read_with_a_notice(project, agency_af, reasons):
    headers, rows, notices = read_table((HEADER + "\nÅ1,kvinna,,af,2025-01-01,,,,,,,,,").encode("cp1252"))
    assert rows[0][0] == "Å1" and notices


def test_management_command(tmp_path, project, agency_af, agency_fk, one_place_a, reasons, capsys):
    path = tmp_path / "history.csv"
    path.write_text(GOOD, encoding="utf-8")
    call_command("import_participants", str(path), "--project", project.slug, "--dry-run")
    assert not Referral.objects.exists()
    call_command("import_participants", str(path), "--project", project.slug)
    assert Referral.objects.count() == 10
    with pytest.raises(CommandError, match="fel"):
        call_command("import_participants", str(path), "--project", project.slug)  # starts exist already
    assert Referral.objects.count() == 10
    with pytest.raises(CommandError, match="projekt"):
        call_command("import_participants", str(path), "--project", "finns-inte")


def test_web_upload_for_the_leader(client, leader, project, agency_af, agency_fk, one_place_a, reasons):
    client.force_login(leader)
    upload = SimpleUploadedFile("history.csv", GOOD.encode(), content_type="text/csv")
    response = client.post(reverse("participants:import"), {"project": project.pk, "file": upload})
    assert response.status_code == 200
    assert response.context["result"].starts == 10
    assert not Referral.objects.exists()  # the preview writes nothing
    confirmed = client.post(reverse("participants:import_confirm"), {"token": response.context["token"]})
    job = ImportJob.objects.get(token=response.context["token"])
    assert confirmed.status_code == 302 and confirmed["Location"] == reverse("core:import_job", args=[job.token])
    assert Referral.objects.count() == 10
    page = client.get(confirmed["Location"]).content.decode()
    assert "10 starter: 6 nya deltagare, 0 redan kända, 3 anonyma, 6 avslut och 2 placeringar." in page
    upload = SimpleUploadedFile("bad.csv", (HEADER + "\nP1,okänd,,af,2025-01-01,,,,,,,,,").encode())
    response = client.post(reverse("participants:import"), {"project": project.pk, "file": upload})
    assert response.status_code == 400
    assert "<td>2</td><td>gender</td><td>Okänt kön: okänd (kvinna, man eller icke-binär).</td>" in \
        response.content.decode()


# --- assignments go through the placement rules; the preview writes nothing -----------------------


def _history(*lines) -> str:
    return "\n".join([HEADER, *lines])


def test_ongoing_row_on_a_full_placement_is_refused(project, agency_af, one_place_a, reasons, leader, referral_fk):
    """one_place_a takes one participant at a time and already has one on it: no second ongoing assignment."""
    today = timezone.localdate()
    AssignmentFactory(placement=one_place_a, referral=referral_fk, status=Assignment.Status.ONGOING,
                      start_date=today - dt.timedelta(days=30), planned_end_date=today + dt.timedelta(days=60))
    start = (today - dt.timedelta(days=10)).isoformat()
    result = run(project, _history(f"N1,man,1990,af,{start},{start},,,,,,,PLATS-A,"), user=leader)
    assert [(e.row, e.column) for e in result.errors] == [(2, "placement_code")]
    assert result.errors[0].message.startswith("Platsen PLATS-A är fullbokad under perioden")
    assert Assignment.objects.filter(placement=one_place_a).count() == 1
    assert not Referral.objects.filter(participant__code="N1").exists()


def test_two_rows_of_one_file_cannot_share_the_last_slot(project, agency_af, one_place_a, reasons, leader):
    start = (timezone.localdate() + dt.timedelta(days=5)).isoformat()
    result = run(project, _history(f"N1,man,,af,{start},{start},,,,,,,PLATS-A,",
                                   f"N2,kvinna,,af,{start},{start},,,,,,,PLATS-A,"), user=leader)
    assert [(e.row, e.column) for e in result.errors] == [(3, "placement_code")]
    assert not Assignment.objects.exists()


def test_past_rows_are_history_and_current_rows_are_booked(project, agency_af, one_place_a, reasons, leader):
    today = timezone.localdate()
    past = [(today - dt.timedelta(days=d)).isoformat() for d in (300, 200)]
    future = (today + dt.timedelta(days=7)).isoformat()
    result = run(project, _history(
        f"H1,man,,af,{past[0]},{past[0]},{past[1]},enligt plan,,,,,PLATS-A,",
        f"H2,kvinna,,af,{past[0]},{past[0]},{past[1]},enligt plan,,,,,PLATS-A,",  # history: written as it was
        f"F1,man,,af,{future},{future},,,,,,,PLATS-A,",
    ), user=leader)
    assert result.errors == [] and result.saved
    statuses = dict(Assignment.objects.values_list("referral__participant__code", "status"))
    assert statuses == {"H1": "completed", "H2": "completed", "F1": "confirmed"}
    booked = Assignment.objects.get(referral__participant__code="F1")
    assert booked.history.count() == 1 and booked.history.first().history_user == leader


def test_end_date_in_the_future_is_refused(project, agency_af, reasons, leader):
    later = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    result = run(project, _history(f"N1,man,,af,2025-01-01,2025-01-02,{later},enligt plan,,,,,,"), user=leader)
    assert [(e.row, e.column) for e in result.errors] == [(2, "end_date")]


def test_referral_date_that_is_not_strict_iso_is_refused(project, agency_af, reasons, leader):
    result = run(project, _history("N1,man,,af,2026-03-1234,,,,,,,,,"), user=leader)
    assert [(e.row, e.column, e.message) for e in result.errors] == [
        (2, "referral_date", "Ogiltigt datum 2026-03-1234 (använd ÅÅÅÅ-MM-DD).")]
    assert not Referral.objects.exists()


def test_preview_writes_nothing_at_all(project, agency_af, agency_fk, one_place_a, reasons, leader):
    with CaptureQueriesContext(connection) as queries:
        result = run(project, GOOD, dry_run=True, user=leader)
    assert result.errors == [] and result.starts == 10 and not result.saved
    writes = [q["sql"] for q in queries.captured_queries
              if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE", "SAVEPOINT"))]
    assert writes == []


def test_the_web_preview_writes_nothing_but_its_job(client, project, agency_af, agency_fk, one_place_a, reasons,
                                                    leader):
    """Uploading, checking (the job's check) and showing the file writes one row: the stored job (inserted, then
    the check's claim and result). No participant, referral, exit, follow-up, assignment, history or audit event,
    not even rolled back."""
    client.force_login(leader)
    tables = (Participant, Referral, Referral.history.model, Exit, Exit.history.model, FollowUp90, Assignment,
              Assignment.history.model, AuditEvent)
    before = [model.objects.count() for model in tables]
    upload = SimpleUploadedFile("history.csv", GOOD.encode(), content_type="text/csv")
    with CaptureQueriesContext(connection) as queries:
        response = client.post(reverse("participants:import"), {"project": project.pk, "file": upload})
    assert response.status_code == 200 and response.context["result"].starts == 10
    writes = [q["sql"] for q in queries.captured_queries
              if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE", "SAVEPOINT", "COPY"))]
    assert 'INSERT INTO "core_importjob"' in writes[0]
    assert all(sql.startswith(('INSERT INTO "core_importjob"', 'UPDATE "core_importjob"')) for sql in writes), writes
    assert [model.objects.count() for model in tables] == before


def test_import_writes_in_bulk(project, agency_af, reasons, leader, django_assert_max_num_queries):
    """The statement count does not grow with the rows: bulk inserts, no savepoint per row (42: one for the stored
    number of participants, and the participants' and the starts' locks before their stored values are
    refreshed)."""
    lines = [f"B{i},man,1990,af,2025-0{1 + i % 9}-01,,,,,,,,," for i in range(300)]
    with django_assert_max_num_queries(42):
        result = run(project, _history(*lines), user=leader)
    assert result.saved and Referral.objects.count() == 300


def test_the_bulk_write_fills_every_row_and_its_history(project, agency_af, one_place_a, reasons, leader):
    """The participants and referrals are written as tuples (core.bulkcopy.copy_rows): each referral with its
    "+" history row holding the same values, the participant's birth year from their first row that has one, the
    stored latest referral date, and the assignment pointing at its row's referral."""
    future = (timezone.localdate() + dt.timedelta(days=7)).isoformat()
    result = run(project, _history("T1,man,,af,2025-01-10,2025-01-20,,,,a-kassa,arbetssökande,,,",
                                   f"T1,man,1991,af,{future},{future},,,,,,,PLATS-A,",
                                   ",kvinna,1970,af,2025-03-01,2025-03-02,,,,,,,,"), user=leader)
    assert result.errors == [] and result.saved
    person = Participant.objects.get(code="T1")
    assert (person.identity, person.gender, person.birth_year, person.latest_referral_date) == (
        "pseudonymous", "man", 1991, dt.date.fromisoformat(future))
    anonymous = Participant.objects.get(identity=Participant.Identity.ANONYMOUS)
    assert (anonymous.code, anonymous.birth_year, anonymous.first_name) == (None, 1970, "")
    compared = ("participant_id", "project_id", "agency_id", "referral_date", "start_date", "support_before_id",
                "activity_before_id", "education_level", "labour_market_status", "programme_id", "notes")
    for referral in Referral.objects.all():
        (record,) = referral.history.all()
        assert (record.history_type, record.history_user) == ("+", leader)
        assert {n: getattr(record, n) for n in compared} == {n: getattr(referral, n) for n in compared}
    first = Referral.objects.get(participant=person, referral_date=dt.date(2025, 1, 10))
    assert (first.support_before.code, first.activity_before.code) == ("a-kassa", "arbetssökande")
    booked = Assignment.objects.get()
    assert (booked.referral.participant, booked.referral.referral_date, booked.status) == (
        person, dt.date.fromisoformat(future), "confirmed")


def test_one_row_over_capacity_among_ten_thousand_writes_nothing_and_is_named(project, agency_af, one_place_a,
                                                                              reasons, leader):
    future = (timezone.localdate() + dt.timedelta(days=7)).isoformat()
    lines = [f"M{i},man,1990,af,2025-0{1 + i % 9}-01,,,,,,,,," for i in range(10_000)]
    lines[4_000] = f"M4000,man,1990,af,{future},{future},,,,,,,PLATS-A,"
    lines[7_000] = f"M7000,man,1990,af,{future},{future},,,,,,,PLATS-A,"  # the one place is taken by row 4,002
    result = run(project, _history(*lines), user=leader)
    assert [(e.row, e.column) for e in result.errors] == [(7_002, "placement_code")]
    assert not result.saved
    assert (Participant.objects.count(), Referral.objects.count(), Assignment.objects.count()) == (0, 0, 0)


def test_the_upload_only_reads_and_a_worker_checks_the_rows(client, leader, project, agency_af, agency_fk,
                                                            one_place_a, reasons, monkeypatch):
    from core import importjobs

    queued = []
    monkeypatch.setattr(importjobs.check_import_job, "apply_async", lambda args: queued.append(args[0]))
    client.force_login(leader)
    upload = SimpleUploadedFile("history.csv", GOOD.encode(), content_type="text/csv")
    response = client.post(reverse("participants:import"), {"project": project.pk, "file": upload})
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("core:import_job", args=[job.token])
    assert (job.status, queued) == ("checking", [job.pk])
    page = client.get(response["Location"]).content.decode()
    assert "Granskar filen: 0 av 10 rader. Ingenting sparas." in page
    assert importjobs.import_job_check(job_id=job.pk).status == "preview"
    page = client.get(response["Location"]).content.decode()
    assert "Förhandsgranskning – inget har sparats än" in page and f'value="{job.token}"' in page
    assert "Starter: 10" in page and "Anonyma deltagare: 3" in page and "data-hx-trigger" not in page
    assert not Referral.objects.exists()
    client.post(reverse("participants:import_confirm"), {"token": str(job.token)})
    assert Referral.objects.count() == 10
