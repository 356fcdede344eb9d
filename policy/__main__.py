"""The `ecr-guardrails` policy pack. Building the PolicyPack serves it over gRPC and blocks, so this
file only builds it; the validators live in the ecr_guardrails package, importable and tested."""

from ecr_guardrails.policies import POLICIES
from pulumi_policy import EnforcementLevel, PolicyPack

PolicyPack(
    name="ecr-guardrails",
    description="Org-wide ECR guardrails: KMS, scanning, immutable tags, tags, least privilege.",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=POLICIES,
)
