# Credential lineage (issue #19): which credential minted an API token or a signature key
# (nullable FKs, SET_NULL: cleanup may delete a revoked parent), whether it minted scoped
# tokens, and the per-user generation that ends those when it is revoked. Constant
# defaults: PostgreSQL adds the columns without rewriting the tables. Existing rows have no
# recorded parent.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("authgate", "0009_dpop_bound_tokens"),
    ]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="minted_scoped",
            field=models.BooleanField(
                default=False, editable=False, verbose_name="minted scoped tokens"
            ),
        ),
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
            name="minted_scoped",
            field=models.BooleanField(
                default=False, editable=False, verbose_name="minted scoped tokens"
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
