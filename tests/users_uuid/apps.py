from django.apps import AppConfig


class UsersUUIDConfig(AppConfig):
    name = "tests.users_uuid"
    label = "authgate_tests_users_uuid"
    verbose_name = "test users (UUID primary key)"
