import uuid

from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """A user whose primary key is a UUID, so code never assumes integer ids."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
