"""The importer on small files: bad rows, a bad header, a missing file. (No real data in this module.)"""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from films.importers import oscars
from films.models import Ceremony, Contender, Film
from films.services import oscars_import

pytestmark = pytest.mark.django_db

HEADER = "\t".join(oscars.COLUMNS) + "\n"


def _write(tmp_path, rows):
    path = tmp_path / "oscars.tsv"
    path.write_text(HEADER + "".join("\t".join(row) + "\n" for row in rows), encoding="utf-8")
    return path


def test_bad_rows_are_reported_with_their_line_and_the_rest_imported(tmp_path):
    good = [
        "93",
        "2020",
        "Production",
        "FILM EDITING",
        "FILM EDITING",
        "Sound of Metal",
        "tt5363618",
        "Mikkel E. G. Nielsen",
        "Mikkel E. G. Nielsen",
        "nm1182055",
        "True",
    ]
    path = _write(
        tmp_path,
        [
            good,
            ["x93", "2020", "Production", "FILM EDITING", "FILM EDITING", "Mank", "tt10618286", "Kirk Baxter"],
            ["93", "2020", "Nonsense", "FILM EDITING", "FILM EDITING", "Mank", "tt10618286", "Kirk Baxter"],
            ["93", "2020", "Production", "FILM EDITING", "FILM EDITING", "Mank|Minari", "tt10618286", "Kirk Baxter"],
            ["93", "2020", "Production", "FILM EDITING", "FILM EDITING", "Mank", "tt10618286", "K", "K", "nm1", "Yes"],
            [
                "93",
                "2020",
                "Production",
                "FILM EDITING",
                "FILM EDITING",
                "Mank",
                "tt1",
                "K",
                "K",
                "nm1",
                "",
                "",
                "",
                "",
                "extra",
            ],
        ],
    )
    report = oscars_import(path=path)
    assert [(b.line, b.reason) for b in report.bad_rows] == [
        (3, "Ceremony is not a positive number"),
        (4, "Class is not one of Acting, Directing, Music, Production, SciTech, Special, Title, Writing"),
        (5, "Film and FilmId list different numbers of films"),
        (6, 'Winner is neither "True" nor empty'),
        (7, "15 fields, at most 14 expected"),
    ]
    assert report.rows == 1
    assert Contender.objects.get().is_winner
    assert Film.objects.get().title == "Sound of Metal"


def test_command_reports_bad_rows_and_strict_refuses(tmp_path, capsys):
    path = _write(
        tmp_path,
        [["93", "2020", "Production", "FILM EDITING", "FILM EDITING", "Mank", "tt10618286", "K", "K", "nm1", "Maybe"]],
    )
    call_command("import_oscars", str(path), "--no-progress")
    captured = capsys.readouterr()
    assert "skipped line 2: Winner is neither" in captured.err
    assert "1 bad rows skipped" in captured.out
    with pytest.raises(CommandError, match="1 bad rows, the first at line 2"):
        call_command("import_oscars", str(path), "--no-progress", "--strict")


def test_command_refuses_a_missing_file_or_a_wrong_header(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_oscars", str(tmp_path / "missing.tsv"), "--no-progress")
    wrong = tmp_path / "wrong.tsv"
    wrong.write_text("a\tb\n1\t2\n", encoding="utf-8")
    with pytest.raises(CommandError, match="unexpected header"):
        call_command("import_oscars", str(wrong), "--no-progress")
    assert Ceremony.objects.count() == 0
