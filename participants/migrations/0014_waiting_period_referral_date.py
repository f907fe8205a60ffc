from django.db import migrations, models


def copy_referral_dates(apps, schema_editor):
    """Each stored period gets its start's referral date (one UPDATE; a correction of the date rewrites the
    periods from then on)."""
    db = schema_editor.connection.alias  # the database being migrated
    WaitingPeriod = apps.get_model("participants", "WaitingPeriod")
    Referral = apps.get_model("participants", "Referral")
    WaitingPeriod.objects.using(db).update(referral_date=models.Subquery(
        Referral.objects.using(db).filter(pk=models.OuterRef("referral_id")).values("referral_date")[:1]))


class Migration(migrations.Migration):

    dependencies = [
        ('participants', '0013_waiting_period_referral_protect'),
    ]

    operations = [
        migrations.AddField(
            model_name='waitingperiod',
            name='referral_date',
            field=models.DateField(null=True, verbose_name='anvisningsdatum'),
        ),
        migrations.RunPython(copy_referral_dates, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name='waitingperiod',
            index=models.Index(fields=['agency', 'referral_date', 'referral'], include=('first_day', 'until'), name='waiting_period_agency_key_idx'),
        ),
        migrations.AddIndex(
            model_name='waitingperiod',
            index=models.Index(fields=['referral_date', 'referral'], include=('first_day', 'until', 'agency'), name='waiting_period_key_idx'),
        ),
    ]
