# DPoP-bound API tokens (issue #22): the RFC 7638 thumbprint of the client key a token is
# bound to. A constant default: PostgreSQL 11+ adds the column without rewriting the table.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("authgate", "0007_legacy_token_formats"),
    ]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="dpop_jkt",
            field=models.CharField(
                blank=True,
                default="",
                editable=False,
                help_text="Bound to this key: the token works only with a DPoP proof signed by it.",
                max_length=43,
                verbose_name="DPoP key thumbprint",
            ),
        ),
    ]
