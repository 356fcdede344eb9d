"""The README's configuration reference is generated from the settings declarations."""

import pytest

from components.settings import STACK_KEYS
from tools import config_docs


def test_readme_reference_is_current():
    assert config_docs.main(["--check"]) == 0, "run `make docs`"


def test_every_key_is_documented_with_type_and_default():
    section = config_docs.render()
    for key in STACK_KEYS:
        assert f"| `{key.name}` | {key.type} | {key.documented_default} |" in section


def test_a_stale_readme_is_detected(tmp_path, monkeypatch):
    stale = tmp_path / "README.md"
    current = config_docs.README.read_text()
    stale.write_text(current.replace("| `owner` | string |", "| `owner` | integer |"))
    monkeypatch.setattr(config_docs, "README", stale)
    assert config_docs.main(["--check"]) == 1
    assert config_docs.main(["--write"]) == 0
    assert stale.read_text() == current


def test_missing_markers_are_an_error():
    with pytest.raises(ValueError, match="lacks the markers"):
        config_docs.updated("# README without a reference")
