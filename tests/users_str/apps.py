from django.apps import AppConfig


class UsersStrConfig(AppConfig):
    name = "tests.users_str"
    label = "authgate_tests_users_str"
    verbose_name = "test users (string primary key)"
