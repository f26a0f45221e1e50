import secrets
from typing import Any

from django.core.management.base import BaseCommand

from accounts.models import User
from accounts.selectors import superuser_exists


class Command(BaseCommand):
    help = "Create a demo superuser when none exists, and print its password once."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--email", default="admin@example.com")

    def handle(self, *args: Any, **options: Any) -> None:
        if superuser_exists():
            self.stdout.write("A superuser already exists; no demo account created.")
            return
        password = secrets.token_urlsafe(12)
        User.objects.create_superuser(email=options["email"], password=password)
        self.stdout.write(
            self.style.SUCCESS(
                "Demo superuser created (shown once, store it now):\n"
                f"  email:    {options['email']}\n"
                f"  password: {password}"
            )
        )
