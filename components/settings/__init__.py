"""Stack config -> typed, validated settings.

The `ecr:` namespace is declared once, as pydantic models: each field carries its type, default,
constraints and description. The README's configuration reference, the editor schema
(`schema/stack-config.schema.json`) and `Pulumi.yaml`'s declarations are generated from them
(`make docs`). Everything is validated before the program registers a single resource, and every
problem is reported at once, one line each, naming the key, the value and what is allowed.
Nothing in this package creates resources. AWS's limits on what the program sends, each with its
source, are one table beside it (components/limits.py), read by the settings, the builders and the
conformance check. One module per concern:

- `types`: names, regions and the constrained value types the models use;
- `repository`: the repository and retention keys, per stack and per service;
- `registry`: registry-wide keys (scanning, pull-through cache, account settings);
- `replication`: replication to other accounts (destinations, the accounts allowed);
- `grants`: Lambda pulls and the team's own repository-policy statements, judged by the policy
  pack's least-privilege rule (`policy.ecr_guardrails.rules_access`);
- `extras`: issue 29's cross-field checks (grants, ECR-to-ECR cache, floating tags, dual stack);
- `alerts`: the alerts and signing keys;
- `provider`: the `aws:` namespace, for the providers the program creates;
- `stack`: the whole namespace (`StackConfig`) and the resolved `StackSettings`;
- `loading`: `load_settings`, the cross-field checks and the checks of values read at run time.
"""

from components.settings.alerts import AlertsConfig, SigningConfig
from components.settings.loading import (
    SettingsError,
    credential_account_problem,
    kms_key_arn_problem,
    load_settings,
    provider_region,
    stack_config,
)
from components.settings.provider import (
    AssumeRole,
    ProviderSettings,
    provider_config,
    provider_settings,
)
from components.settings.registry import (
    SCAN_FREQUENCIES,
    PullThroughCacheConfig,
    PullThroughCacheRule,
    RegistryScanningConfig,
    ScanningRule,
)
from components.settings.replication import (
    ReplicationDestination,
    ReplicationDestinationConfig,
)
from components.settings.repository import (
    RepositoryDefaults,
    RepositorySettings,
    ServiceConfig,
    iam_policy_name,
)
from components.settings.stack import StackConfig, StackSettings
from components.settings.types import (
    AWS_REGIONS,
    COMPONENT_TAG,
    ENVIRONMENTS,
    IAM_POLICY_NAME_MAX,
    LIFECYCLE_POLICY_MAX,
    MAX_SERVICE_NAME,
    NAMESPACE,
    PRODUCTION,
    PULL_THROUGH_UPSTREAMS,
    SSM_MAX_LEVELS,
    SSM_MAX_NAME,
    needs_credential,
)

__all__ = [
    "AWS_REGIONS",
    "COMPONENT_TAG",
    "ENVIRONMENTS",
    "IAM_POLICY_NAME_MAX",
    "LIFECYCLE_POLICY_MAX",
    "MAX_SERVICE_NAME",
    "NAMESPACE",
    "PRODUCTION",
    "PULL_THROUGH_UPSTREAMS",
    "SCAN_FREQUENCIES",
    "SSM_MAX_LEVELS",
    "SSM_MAX_NAME",
    "AlertsConfig",
    "AssumeRole",
    "ProviderSettings",
    "PullThroughCacheConfig",
    "PullThroughCacheRule",
    "RegistryScanningConfig",
    "ReplicationDestination",
    "ReplicationDestinationConfig",
    "RepositoryDefaults",
    "RepositorySettings",
    "ScanningRule",
    "ServiceConfig",
    "SettingsError",
    "SigningConfig",
    "StackConfig",
    "StackSettings",
    "credential_account_problem",
    "iam_policy_name",
    "kms_key_arn_problem",
    "load_settings",
    "needs_credential",
    "provider_config",
    "provider_region",
    "provider_settings",
    "stack_config",
]
