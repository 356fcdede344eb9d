"""Issue 30: the stack's `aws:defaultTags` reach what the aws provider does not tag itself.

The aws provider merges its default tags into every resource's `tags` (tags_all), but a creation
template's `resourceTags` are plain data to it (terraform-provider-aws
repository_creation_template.go: `resource_tags` is a TagsSchema with no tags_all), and the
aws-native provider the program creates reads no `aws:` key. Both get them from the program,
under the explicit tags (explicit wins, as the provider does).
"""

import json

from components.settings import provider_settings
from tests.support.fakes import EVERYTHING
from tools.preview.mock_engine import run_program

TEMPLATE = "aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate"
NATIVE_PROVIDER = "pulumi:providers:aws-native"
DEFAULTS = {"tags": {"Team": "platform", "CostCenter": "from-defaults"}}


def test_default_tags_are_read_from_the_aws_namespace():
    settings = provider_settings({"defaultTags": json.dumps(DEFAULTS), "region": "eu-west-1"})
    assert settings.default_tags == DEFAULTS["tags"]
    assert provider_settings({"region": "eu-west-1"}).default_tags == {}


def test_templates_and_the_aws_native_provider_get_the_default_tags_under_the_explicit_ones():
    plain = run_program("prod", EVERYTHING)
    tagged = run_program("prod", EVERYTHING | {"aws:defaultTags": DEFAULTS})
    templates = {t.name: t.inputs["resourceTags"] for t in plain.of_type(TEMPLATE)}
    assert templates  # ecr-public, team-a/ and the replication region's ROOT
    for template in tagged.of_type(TEMPLATE):
        explicit = templates[template.name]
        assert template.inputs["resourceTags"] == {"Team": "platform", **explicit}
        # The stack's own CostCenter wins over the default one.
        assert explicit["CostCenter"] != "from-defaults"
    (provider,) = tagged.of_type(NATIVE_PROVIDER)
    assert json.loads(provider.inputs["defaultTags"]) == DEFAULTS


def test_a_stack_without_default_tags_sends_what_it_sent():
    run = run_program("prod", EVERYTHING)
    (provider,) = run.of_type(NATIVE_PROVIDER)
    assert "defaultTags" not in provider.inputs
    for template in run.of_type(TEMPLATE):
        assert "Team" not in template.inputs["resourceTags"]
