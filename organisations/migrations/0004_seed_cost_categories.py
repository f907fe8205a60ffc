"""The ESF budget's cost categories. Idempotent; the reverse is a no-op (budget lines may point to them)."""

from django.db import migrations

COST_CATEGORIES = [
    ("personal", "Personal"),
    ("externa-tjanster", "Externa tjänster"),
    ("lokaler", "Lokaler"),
    ("investeringar", "Investeringar"),
    ("resor", "Resor och logi"),
    ("ovriga-kostnader", "Övriga kostnader"),
    ("indirekta-kostnader", "Indirekta kostnader"),
]


def seed(apps, schema_editor):
    db = schema_editor.connection.alias  # the database being migrated
    CostCategory = apps.get_model("organisations", "CostCategory")
    for order, (code, name) in enumerate(COST_CATEGORIES, start=1):
        CostCategory.objects.using(db).update_or_create(code=code, defaults={"name": name, "sort_order": order})


class Migration(migrations.Migration):

    dependencies = [
        ("organisations", "0003_setup_contacts_budget_history"),
    ]

    operations = [
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
