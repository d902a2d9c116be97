"""Spanish is the default language: every string the code and templates use is translated."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "locale" / "es" / "LC_MESSAGES" / "django.po"


def _statistics(po_file: Path) -> str:
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", os.devnull, str(po_file)],
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stderr.strip()


def test_spanish_catalogue_is_complete_and_valid() -> None:
    statistics = _statistics(CATALOGUE)
    assert "fuzzy" not in statistics, statistics
    assert "untranslated" not in statistics, statistics


def test_every_string_in_the_code_is_in_the_catalogue(tmp_path: Path) -> None:
    # given a copy of the code and the committed catalogue
    for name in ("config", "senda", "templates", "locale"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("*.mo"))
    shutil.copy(ROOT / "manage.py", tmp_path / "manage.py")
    # when the strings are extracted again
    env = {**os.environ, "SENDA_TESTING": "1", "DJANGO_SETTINGS_MODULE": "config.settings"}
    env.pop("DATABASE_URL", None)
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "es", "--no-obsolete", "-v", "0"],
        cwd=tmp_path,
        env=env,
        check=True,
    )
    # then nothing new is untranslated
    statistics = _statistics(tmp_path / "locale" / "es" / "LC_MESSAGES" / "django.po")
    if "untranslated" in statistics or "fuzzy" in statistics:
        pytest.fail(f"Run `make messages` and translate the new strings: {statistics}")
