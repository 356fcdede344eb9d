"""The `ecr-guardrails` policy pack. Building the PolicyPack serves it over gRPC and blocks, so this
file only builds it; the validators live in the ecr_guardrails package, importable and tested.
The pack-wide settings reach every policy from the Configure call (ecr_guardrails/serving.py),
never from whichever policy runs first."""

from ecr_guardrails.policies import POLICIES, SETTINGS
from ecr_guardrails.serving import hand_configure_to
from pulumi_policy import EnforcementLevel, PolicyPack

hand_configure_to(SETTINGS)
PolicyPack(
    name="ecr-guardrails",
    description="Org-wide ECR guardrails: KMS, scanning, immutable tags, tags, least privilege.",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=POLICIES,
)
