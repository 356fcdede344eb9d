"""Issue 26: every control id the checks name is AWS's, as its page defines it."""

import pytest

from policy.ecr_guardrails.controls import AWS_CONTROLS, CONTROLS, controls_of

# The controls' titles as AWS's pages give them (Security Hub CSPM controls for Amazon ECR and for
# AWS KMS; Control Tower's Amazon ECR and AWS KMS control pages), recorded from those pages.
RECORDED = {
    "ECR.1": "ECR private repositories should have image scanning configured",
    "ECR.2": "ECR private repositories should have tag immutability configured",
    "ECR.3": "ECR repositories should have at least one lifecycle policy configured",
    "ECR.4": "ECR public repositories should be tagged",
    "ECR.5": "ECR repositories should be encrypted with customer managed AWS KMS keys",
    "KMS.4": "AWS KMS key rotation should be enabled",
    "CT.ECR.PR.1": "Require Amazon ECR repositories to have a lifecycle policy configured",
    "CT.ECR.PR.2": "Require Amazon ECR private repositories to have image scanning enabled",
    "CT.ECR.PR.3": "Require Amazon ECR private repositories to have tag immutability enabled",
    "CT.KMS.PR.1": "Require any AWS KMS key to have rotation configured",
}
CONFIG_RULES = {
    "ecr-private-image-scanning-enabled",
    "ecr-private-tag-immutability-enabled",
    "ecr-private-lifecycle-policy-configured",
    "ecr-repository-cmk-encryption-enabled",
    "tagged-ecr-publicrepository",
    "cmk-backing-key-rotation-enabled",
}


def test_the_recorded_controls_carry_aws_titles_and_pages():
    titled = {i: c.title for i, c in AWS_CONTROLS.items() if i not in CONFIG_RULES}
    assert titled == RECORDED
    assert set(AWS_CONTROLS) - set(RECORDED) == CONFIG_RULES
    for control_id, control in AWS_CONTROLS.items():
        assert control.source.startswith("https://docs.aws.amazon.com/"), control_id


def test_every_named_control_is_a_recorded_one_and_names_its_source():
    for check, controls in CONTROLS.items():
        named = (*controls.security_hub, *controls.config_rules, *controls.control_tower)
        assert set(named) <= set(AWS_CONTROLS), (check, set(named) - set(AWS_CONTROLS))
        assert len(controls.sources()) == len(named)


@pytest.mark.parametrize("check", ["ecr-repository-required-tags", "ecr-public-repository"])
def test_ecr_4_is_public_repository_tags_only_and_no_private_check_claims_it(check):
    controls = controls_of(check)
    assert "ECR.4" not in controls.security_hub
    assert "tagged-ecr-publicrepository" not in controls.config_rules
    assert "ECR.4" in controls.note


def test_image_findings_are_not_ecr_1():
    controls = controls_of("ecr-live-image-findings")
    assert "ECR.1" not in controls.security_hub
    assert "a repository with vulnerable images passes it" in controls.note
    # ECR.1 stays on the checks that judge scanning itself.
    assert "ECR.1" in controls_of("ecr-repository-require-scan-on-push").security_hub


def test_ecr_2_says_the_pack_also_passes_immutable_with_exclusion():
    controls = controls_of("ecr-repository-immutable-tags-in-production")
    assert controls.security_hub == ("ECR.2",)
    assert "ECR.2 passes only IMMUTABLE" in controls.note
    assert "IMMUTABLE_WITH_EXCLUSION" in controls.note


def test_key_rotation_names_control_towers_kms_control():
    controls = controls_of("ecr-live-key-rotation")
    assert controls.control_tower == ("CT.KMS.PR.1",)
    assert "AWS Control Tower CT.KMS.PR.1" in controls.requirements()
