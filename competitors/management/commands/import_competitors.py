from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from competitors.matrix_import import MatrixFormatError, matrix_import


class Command(BaseCommand):
    help = (
        "Import a competitor matrix CSV (No., Name, Website, Year founded, Type, Pricing, "
        "Notes, LinkedIn, Twitter/X, Instagram)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"cannot read {path}: {error}") from error
        try:
            report = matrix_import(text=text)
        except MatrixFormatError as error:
            raise CommandError(f"{path}: {error}") from error
        for problem in report.skipped:
            self.stderr.write(f"skipped {problem}")
        self.stdout.write(
            f"companies: {report.created} created, {report.updated} updated, "
            f"{report.unchanged} unchanged, {len(report.skipped)} skipped"
        )
