import secrets

from django.contrib.auth.models import AbstractUser
from django.db import models


def new_user_id() -> str:
    """A random string key like ``u-3f9c0a1b2d4e5f60``."""
    return "u-" + secrets.token_hex(8)


class User(AbstractUser):
    """A user whose primary key is a string, so code never assumes integer ids."""

    id = models.CharField(primary_key=True, max_length=40, default=new_user_id)
