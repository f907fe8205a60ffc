"""Category lists every database needs (domain.md "Category lists"): support before the start,
activities, exit reasons and the five exit-survey statements.

Codes are the import values of domain.md (importers match exit reasons on code or name,
case-insensitively, so names are the domain.md texts). Idempotent (update_or_create); the
reverse is a no-op.
"""

from decimal import Decimal

from django.db import migrations

# (code = import value, name, group)
SUPPORT_KINDS = [
    ("sjukpenning", "Sjukpenning (inkl. rehabiliteringspenning)", "ohälsa"),
    ("aktivitetsersättning", "Aktivitetsersättning", "ohälsa"),
    ("sjukersättning", "Sjukersättning", "ohälsa"),
    ("a-kassa", "A-kassa", "arbetsmarknadsstöd"),
    ("aktivitetsstöd", "Aktivitetsstöd (inkl. utvecklingsersättning)", "arbetsmarknadsstöd"),
    ("etableringsersättning", "Etableringsersättning", "arbetsmarknadsstöd"),
    ("försörjningsstöd", "Försörjningsstöd", "ekonomiskt bistånd"),
    ("ingen", "Ingen", "övrigt"),
    ("annan", "Annan", "övrigt"),
]

# (code, name, is_work_or_studies)
ACTIVITIES = [
    ("arbete", "Arbete (inkl. subventionerad anställning)", True),
    ("studier", "Studier", True),
    ("arbetssökande", "Arbetssökande", False),
    ("annat", "Annat", False),
]

EXIT_REASONS = [
    ("arbete", "Arbete", True),
    ("arbete-med-stod", "Arbete med stöd", True),
    ("studier", "Studier", True),
    ("annan-insats", "Annan insats", False),
    ("vard-eller-behandling", "Vård eller behandling", False),
    ("sjukdom", "Sjukdom", False),
    ("flyttat", "Flyttat", False),
    ("ovrigt", "Övrigt", False),
]

# (number, text, target percent)
SURVEY_STATEMENTS = [
    (1, "Jag har blivit väl bemött", Decimal("100")),
    (2, "Jag står närmare arbetsmarknaden", Decimal("95")),
    (3, "Deltagandet har varit positivt", Decimal("80")),
    (4, "Jag är mer motiverad att söka arbete eller studier", Decimal("95")),
    (5, "Jag har fått redskap för min personliga utveckling", Decimal("80")),
]


def seed(apps, schema_editor):
    db = schema_editor.connection.alias  # the database being migrated
    SupportKind = apps.get_model("participants", "SupportKind")
    for order, (code, name, group) in enumerate(SUPPORT_KINDS, start=1):
        SupportKind.objects.using(db).update_or_create(
            code=code, defaults={"name": name, "group": group, "sort_order": order * 10}
        )
    for model_name, rows in (("Activity", ACTIVITIES), ("ExitReason", EXIT_REASONS)):
        model = apps.get_model("participants", model_name)
        for order, (code, name, work_or_studies) in enumerate(rows, start=1):
            model.objects.using(db).update_or_create(
                code=code,
                defaults={"name": name, "is_work_or_studies": work_or_studies, "sort_order": order * 10},
            )
    SurveyStatement = apps.get_model("participants", "SurveyStatement")
    for number, text, target in SURVEY_STATEMENTS:
        SurveyStatement.objects.using(db).update_or_create(number=number, defaults={"text": text, "target_percent": target})


class Migration(migrations.Migration):

    dependencies = [
        ("participants", "0002_initial"),
    ]

    operations = [
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
