import pytest
from django.core.management import CommandError, call_command

from competitors.matrix_import import MatrixFormatError, matrix_import
from competitors.models import Company

pytestmark = pytest.mark.django_db

HEADER = "No.,Name,Website,Year founded,Type,Pricing,Notes,LinkedIn,Twitter/X,Instagram\n"
ROWS = (
    "1,Nimbus AI,nimbus.example,2021,LLM Provider,Usage-based,Frontier models for banks,"
    "https://www.linkedin.com/company/nimbus,@nimbus_ai,nimbus.ai\n"
    "2,Gridwise,https://gridwise.example,2019,MLOps,Free tier,,,https://x.com/gridwise,\n"
    "3,,https://nameless.example,2020,Platform,,,,,\n"
    "4,Broken Site,not a url at all,2020,Platform,,,,,\n"
    "5,Time Traveller,https://tt.example,3021,Platform,,,,,\n"
    "6,Odd Type,https://odd.example,,Quantum Vibes,,,,,\n"
)


def test_matrix_import_maps_columns_and_reports_unusable_rows():
    report = matrix_import(text=HEADER + ROWS)
    assert report.created == 3
    assert len(report.skipped) == 3
    assert any("line 4: no name" in problem for problem in report.skipped)
    assert any("Broken Site" in problem for problem in report.skipped)
    assert any("Time Traveller" in problem and "year" in problem for problem in report.skipped)

    nimbus = Company.objects.get(name="Nimbus AI")
    assert nimbus.website == "https://nimbus.example"
    assert nimbus.segment == Company.Segment.LLM_PROVIDER
    assert nimbus.description == "Frontier models for banks"
    assert nimbus.founded_year == 2021
    assert nimbus.twitter_handle == "nimbus_ai"
    assert nimbus.pricing == "Usage-based"
    assert Company.objects.get(name="Gridwise").twitter_handle == "gridwise"
    assert Company.objects.get(name="Odd Type").segment == Company.Segment.OTHER


def test_matrix_import_is_idempotent():
    matrix_import(text=HEADER + ROWS)
    count = Company.objects.count()
    report = matrix_import(text=HEADER + ROWS)
    assert report.created == 0
    assert report.unchanged == 3
    assert Company.objects.count() == count


def test_missing_columns_are_a_format_error():
    with pytest.raises(MatrixFormatError, match="Website"):
        matrix_import(text="Name,Type\nA,Platform\n")


def test_command_reports_rows_and_fails_on_a_missing_file(tmp_path, capsys):
    path = tmp_path / "matrix.csv"
    path.write_text(HEADER + ROWS, encoding="utf-8")
    call_command("import_competitors", str(path))
    captured = capsys.readouterr()
    assert "3 created" in captured.out
    assert "skipped line 4: no name" in captured.err
    with pytest.raises(CommandError, match="cannot read"):
        call_command("import_competitors", str(tmp_path / "missing.csv"))
