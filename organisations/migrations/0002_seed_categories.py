"""Category lists every database needs (domain.md "Category lists"): occupational areas,
adaptations, the referring agencies and their programmes.

Idempotent (update_or_create on the stable code); the reverse is a no-op so that rolling back
never deletes categories that rows may already point to.
"""

from django.db import migrations

# JobTech occupation fields, with stable ASCII slug codes.
OCCUPATIONAL_AREAS = [
    ("administration-ekonomi-juridik", "Administration, ekonomi, juridik"),
    ("bygg-och-anlaggning", "Bygg och anläggning"),
    ("data-it", "Data/IT"),
    ("forsaljning-inkop-marknadsforing", "Försäljning, inköp, marknadsföring"),
    ("hantverk", "Hantverk"),
    ("hotell-restaurang-storhushall", "Hotell, restaurang, storhushåll"),
    ("halso-och-sjukvard", "Hälso- och sjukvård"),
    ("industriell-tillverkning", "Industriell tillverkning"),
    ("installation-drift-underhall", "Installation, drift, underhåll"),
    ("kultur-media-design", "Kultur, media, design"),
    ("naturbruk", "Naturbruk"),
    ("pedagogik", "Pedagogik"),
    ("sanering-och-renhallning", "Sanering och renhållning"),
    ("transport-distribution-lager", "Transport, distribution, lager"),
    ("yrken-med-social-inriktning", "Yrken med social inriktning"),
]

ADAPTATIONS = [
    ("rullstol", "Tillgänglig för rullstol"),
    ("lugn-miljo", "Lugn miljö"),
    ("flexibla-tider", "Flexibla tider/deltid"),
    ("tydlig-struktur", "Tydlig struktur och visuellt stöd"),
    ("sprakstod", "Språkstöd"),
    ("arbetshjalpmedel", "Arbetshjälpmedel"),
    ("kollektivtrafik", "Nära kollektivtrafik"),
]

AGENCIES = [
    ("af", "Arbetsförmedlingen"),
    ("fk", "Försäkringskassan"),
    ("ifo", "Individ- och familjeomsorgen"),
]

# (agency code, programme name, longest period in months)
PROGRAMMES = [
    ("af", "Arbetsträning", 6),
    ("fk", "Arbetslivsinriktad rehabilitering", 3),
    ("ifo", "Arbetsträning via försörjningsstöd", 12),
]


def _upsert(model, rows, db):
    for order, (code, name) in enumerate(rows, start=1):
        model.objects.using(db).update_or_create(code=code, defaults={"name": name, "sort_order": order * 10})


def seed(apps, schema_editor):
    db = schema_editor.connection.alias  # the database being migrated
    _upsert(apps.get_model("organisations", "OccupationalArea"), OCCUPATIONAL_AREAS, db)
    _upsert(apps.get_model("organisations", "Adaptation"), ADAPTATIONS, db)
    Agency = apps.get_model("organisations", "Agency")
    _upsert(Agency, AGENCIES, db)
    Programme = apps.get_model("organisations", "AgencyProgramme")
    for agency_code, name, months in PROGRAMMES:
        Programme.objects.using(db).update_or_create(
            agency=Agency.objects.using(db).get(code=agency_code), name=name, defaults={"max_months": months}
        )


class Migration(migrations.Migration):

    dependencies = [
        ("organisations", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
