# Credential lineage (issue #19): which credential minted an API token or a signature key
# (nullable FKs, SET_NULL: cleanup may delete a revoked parent), and the per-user generation
# that ends the scoped tokens a revoked credential minted. No data migration: existing rows
# have no recorded parent.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("authgate", "0009_dpop_bound_tokens"),
    ]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="parent",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="children",
                to="authgate.apitoken",
                verbose_name="created with token",
            ),
        ),
        migrations.AddField(
            model_name="apitoken",
            name="parent_key",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="child_tokens",
                to="authgate.httpsignaturekey",
                verbose_name="created with signature key",
            ),
        ),
        migrations.AddField(
            model_name="httpsignaturekey",
            name="parent_token",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="child_keys",
                to="authgate.apitoken",
                verbose_name="registered with token",
            ),
        ),
        migrations.AddField(
            model_name="userauthstate",
            name="derived_generation",
            field=models.PositiveBigIntegerField(default=0, verbose_name="derived generation"),
        ),
    ]
