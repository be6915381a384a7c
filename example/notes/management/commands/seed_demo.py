"""Create the demo users (idempotent): alice and bob with passwords, and an admin."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from notes.models import Note

DEMO_USERS = {
    "alice": "alice-password",
    "bob": "bob-password",
}


class Command(BaseCommand):
    help = "Create the demo users alice and bob (and admin/admin-password) if missing."

    def handle(self, *args, **options):
        User = get_user_model()
        for username, password in DEMO_USERS.items():
            user, created = User.objects.get_or_create(
                username=username, defaults={"email": f"{username}@example.com"}
            )
            if created:
                user.set_password(password)
                user.save()
                Note.objects.create(owner=user, title=f"{username}'s first note", body="Hello!")
        if not User.objects.filter(username="admin").exists():
            User.objects.create_superuser("admin", "admin@example.com", "admin-password")
        self.stdout.write(
            "Demo users: alice / alice-password, bob / bob-password, admin / admin-password"
        )
