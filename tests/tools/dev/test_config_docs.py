"""What users read about the stack config is generated from the settings models and kept current:
the reference in docs/configuration.md, the editor schema and Pulumi.yaml's declarations."""

import json
import shutil
import subprocess

import jsonschema
import pytest
import regex
import yaml

from components.settings import StackConfig
from tools.dev import config_docs

ROOT = config_docs.ROOT
STACK_FILES = sorted(ROOT.glob("Pulumi.*.yaml"))


def _pattern(validator, pattern, instance, schema):
    """JSON Schema's `pattern` with Unicode classes (`\\p{L}`), as editors' ECMAScript regexes
    read it (jsonschema's own uses Python's `re`, which has none)."""
    if validator.is_type(instance, "string") and not regex.search(pattern, instance):
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


_Validator = jsonschema.validators.extend(jsonschema.Draft202012Validator, {"pattern": _pattern})


def validator():
    return _Validator(json.loads(config_docs.SCHEMA.read_text()))


def _patterns(schema):
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key == "pattern":
                yield value
            elif key == "patternProperties":
                yield from value
                yield from _patterns(list(value.values()))
            else:
                yield from _patterns(value)
    elif isinstance(schema, list):
        for value in schema:
            yield from _patterns(value)


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js")
def test_every_schema_pattern_compiles_as_the_editors_regex():
    """yaml-language-server compiles patterns as ECMAScript regexes with the `u` flag, which
    refuses escapes Python allows (`\\-` outside a class)."""
    patterns = sorted(set(_patterns(json.loads(config_docs.SCHEMA.read_text()))))
    script = "for (const p of JSON.parse(process.argv[1])) new RegExp(p, 'u');"
    result = subprocess.run(
        ["node", "-e", script, json.dumps(patterns)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


def test_generated_files_are_current():
    assert config_docs.main(["--check"]) == 0, "run `make docs`"


def test_every_stack_key_is_documented_with_type_and_default():
    section = config_docs.render()
    assert "| `environment` | string | required |" in section
    assert "| `lifecyclePolicyMaxImageCount` | integer | `30` |" in section
    assert "| `services` | object | required |" in section
    assert "| `imageTagMutability` | string | `IMMUTABLE` in prod, `MUTABLE` elsewhere |" in section
    for field in StackConfig.model_fields.values():
        assert f"| `{field.alias}` |" in section
        assert field.description


@pytest.mark.parametrize(
    "path", ["docs/configuration.md", "schema/stack-config.schema.json", "Pulumi.yaml"]
)
def test_a_stale_file_is_detected_and_rewritten(tmp_path, monkeypatch, path):
    copies = {}
    for name, attribute in (("docs/configuration.md", "REFERENCE"),
                            ("schema/stack-config.schema.json", "SCHEMA"),
                            ("Pulumi.yaml", "PROJECT")):  # fmt: skip
        copy = tmp_path / name.replace("/", "_")
        copy.write_text((ROOT / name).read_text())
        monkeypatch.setattr(config_docs, attribute, copy)
        copies[name] = copy
    stale = copies[path]
    current = stale.read_text()
    stale.write_text(current.replace("integer", "number", 1))
    assert config_docs.main(["--check"]) == 1
    assert config_docs.main(["--write"]) == 0
    assert stale.read_text() == current


def test_missing_markers_are_an_error():
    with pytest.raises(ValueError, match="lacks the markers"):
        config_docs.updated("# Configuration without a reference")


def test_pulumi_yaml_declares_what_the_cli_can_fill_in():
    declared = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["config"]
    assert declared["services"] == {
        "type": "object",
        "description": StackConfig.model_fields["services"].description,
    }
    assert "default" not in declared["environment"]  # required in every stack file
    assert declared["lifecyclePolicyMaxImageCount"]["default"] == 30
    # Derived or optional keys would become required if declared without a default.
    assert not {"imageTagMutability", "lifecycleStage", "alerts", "registryScanning"} & set(
        declared
    )


@pytest.mark.parametrize("stack_file", STACK_FILES, ids=lambda p: p.name)
def test_every_stack_file_in_the_repository_is_valid(stack_file):
    text = stack_file.read_text()
    assert text.startswith("# yaml-language-server: $schema=schema/stack-config.schema.json")
    errors = [e.message for e in validator().iter_errors(yaml.safe_load(text))]
    assert errors == []


@pytest.mark.parametrize(
    ("config", "complaint"),
    [
        ({"ecr:ownr": "a@b.co"}, "'ecr:ownr' does not match any of the regexes"),
        ({"ecr:environment": "qa"}, "'qa' is not one of ['dev', 'staging', 'prod']"),
        ({"ecr:services": {"fileflow": {"scanOnPsh": True}}}, "is not valid under any"),
        (
            {"ecr:services": {"fileflow": {"lifecyclePolicyMaxImageCount": 0}}},
            "is not valid under any",
        ),
        ({"ecr:lifecyclePolicyMaxImageCount": 10001}, "10001 is greater than the maximum of 10000"),
        ({"ecr:services": {"FileFlow": {}}}, "'FileFlow' does not match any of the regexes"),
        ({"ecr:alerts": {"minSeverity": "LOW"}}, "is not valid under any"),
        ({"ecr:costCenter": "R&D"}, "'R&D' does not match"),
        ({"ecr:pullThroughCache": {"mcr": {"upstream": "mcr.microsoft.com"}}}, "does not match"),
    ],
)
def test_the_schema_rejects_typos_and_bad_values(config, complaint):
    stack = {"config": {"aws:region": "ap-northeast-2", "ecr:environment": "dev",
                        "ecr:services": {"fileflow": {}}} | config}  # fmt: skip
    messages = [e.message for e in validator().iter_errors(stack)]
    assert any(complaint in m for m in messages), messages


def test_the_schema_accepts_unicode_tag_values():
    stack = {"config": {"ecr:environment": "dev", "ecr:services": {"fileflow": {}},
                        "ecr:costCenter": "Ünïcødé 팀 R+D"}}  # fmt: skip
    assert list(validator().iter_errors(stack)) == []


def test_the_schema_lets_other_namespaces_through():
    stack = {"config": {"aws:region": "ap-northeast-2", "aws:endpoints": [{"ecr": "http://x"}],
                        "ecr:environment": "dev", "ecr:services": {"fileflow": None}}}  # fmt: skip
    assert list(validator().iter_errors(stack)) == []
