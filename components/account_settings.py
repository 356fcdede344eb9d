"""The registry's account settings a stack may set (issue 29): BLOB_MOUNTING and
REGISTRY_POLICY_SCOPE, each one value per account and region (PutAccountSetting). Like every
registry-wide setting they are kept on delete and protected in production (components/options.py:
deleting one would put AWS's default back for every repository of the registry)."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_aws as aws

from components.options import resource_options

TYPE_TOKEN = "ecr:index:EcrAccountSettings"


def account_settings(blob_mounting: str | None, policy_scope: str | None) -> dict[str, str]:
    """PutAccountSetting name -> value, for the settings the stack sets (botocore ecr: valid
    values ENABLED/DISABLED for BLOB_MOUNTING, V2 for REGISTRY_POLICY_SCOPE)."""
    named = {"BLOB_MOUNTING": blob_mounting, "REGISTRY_POLICY_SCOPE": policy_scope}
    return {name: value for name, value in named.items() if value is not None}


class EcrAccountSettings(pulumi.ComponentResource):
    """One `aws.ecr.AccountSetting` per setting, named after it (`<name>-blob-mounting`)."""

    def __init__(
        self,
        name: str,
        settings: Mapping[str, str],
        production: bool = False,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(TYPE_TOKEN, name, None, opts)
        for setting, value in sorted(settings.items()):
            aws.ecr.AccountSetting(
                f"{name}-{setting.lower().replace('_', '-')}",
                name=setting,
                value=value,
                opts=resource_options(aws.ecr.AccountSetting, parent=self, production=production),
            )
        self.register_outputs({})
