"""Fixed test data for runs of the program and the pack.

The program's runs answer its reads with the engine's labelled placeholders (tools/preview/mock_engine.py);
the tests name them as their account, region and key. `compliant_repository` is a repository of some
other project, encrypted with the key that policy/config/org.example.json allowlists.
"""

from __future__ import annotations

from tools.preview.mock_engine import (
    PLACEHOLDER_ACCOUNT_ID,
    PLACEHOLDER_REGION,
    placeholder_key_arn,
)
from tools.preview.pack_runner import Resource

ACCOUNT_ID = PLACEHOLDER_ACCOUNT_ID
REGION = PLACEHOLDER_REGION
KMS_KEY_ARN = placeholder_key_arn(REGION, ACCOUNT_ID)
OTHER_PROJECT_KEY_ARN = (
    f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/0b6b2a1e-1f0e-4c43-9a51-1a7f0e2d1c11"
)


def compliant_repository(name: str, stack: str = "prod") -> Resource:
    """A repository of some other project that passes every policy (when protected)."""
    props = {
        "name": name,
        "encryptionConfigurations": [{"encryptionType": "KMS", "kmsKey": OTHER_PROJECT_KEY_ARN}],
        "imageScanningConfiguration": {"scanOnPush": True},
        "imageTagMutability": "IMMUTABLE",
        "tags": {
            "Owner": "a@b.io",
            "CostCenter": "c",
            "Environment": stack,
            "Lifecycle": "production",
            "DataClass": "internal",
            "Service": name,
        },
    }
    urn = f"urn:pulumi:{stack}::other::aws:ecr/repository:Repository::{name}"
    return Resource("aws:ecr/repository:Repository", name, props, urn, protect=True)


# Principals excluded from pull-time updates in EVERYTHING.
SCANNER = "arn:aws:iam::123456789012:role/ci-trivy"
BACKUP = "arn:aws:iam::123456789012:role/backup"
AUDIT = "arn:aws:iam::123456789012:role/audit"


# A stack config that makes every list-built resource (alerts e-mails, pull-time exclusions,
# scanning rules, templates): the program-options and upgrade tests use it.
EVERYTHING = {
    "ecr:services": {
        "fileflow": {"archiveAfterDays": 120, "imageTagMutabilityExclusions": ["z-*", "a-*"]},
        "billing": {},
    },
    "ecr:alerts": {
        "emails": ["sec@example.com", "ops@example.com"],
        "cloudTrailLogGroup": "/aws/cloudtrail/logs",
    },
    "ecr:registryScanning": {
        "type": "ENHANCED",
        "rules": [{"frequency": "CONTINUOUS_SCAN", "filters": ["*"]}],
    },
    "ecr:replicationRegions": ["us-west-2"],
    "ecr:pullThroughCache": {"ecr-public": {"upstream": "public.ecr.aws"}},
    "ecr:createOnPushPrefixes": ["team-a/"],
    "ecr:pullTimeExclusions": [SCANNER, BACKUP, AUDIT],
    "ecr:signing": {},
    "ecr:registryOwner": True,  # managed signing needs its owner declared
}
