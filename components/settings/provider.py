"""The `aws:` namespace: where and as whom the program's AWS calls go, for every provider the
program creates.

The default aws provider reads `aws:*` itself; a provider created in code (the aws-native one that
writes the registry's signing configuration) reads nothing, so without this it would write with
the ambient credentials, in whatever account they reach. `__main__.py` reads the namespace once
into `ProviderSettings` and passes it down; the components build their providers from it.

What aws-native cannot take as the aws provider has it is a problem (`problems`), reported only
when the program creates a provider (a stack without managed signing never needs one).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

PROVIDER_NAMESPACE = "aws"
# aws (pulumi-aws 7) endpoint keys -> the aws-native provider's (ProviderEndpointArgs): the only
# services aws-native calls are Cloud Control (its resources), CloudFormation, EC2, SSM and STS.
NATIVE_ENDPOINTS = {
    "cloudcontrol": "cloudcontrol",
    "cloudcontrolapi": "cloudcontrol",
    "cloudformation": "cloudformation",
    "ec2": "ec2",
    "ssm": "ssm",
    "sts": "sts",
}
# `aws:` keys that change where calls go or as whom, which aws-native has no setting for: a
# created provider would ignore them and reach another endpoint or account.
UNMIRRORED = (
    "assumeRoleWithWebIdentity",
    "customCaBundle",
    "ec2MetadataServiceEndpoint",
    "ec2MetadataServiceEndpointMode",
    "httpProxy",
    "httpsProxy",
    "noProxy",
    "sharedConfigFiles",
    "stsRegion",
    "useDualstackEndpoint",
    "useFipsEndpoint",
)
# `aws:` keys an aws provider the program creates takes as the stack's provider has them, besides
# those ProviderSettings holds by name.
AWS_ONLY = ("defaultTags", "ignoreTags", "retryMode")
# AssumeRoles item keys -> aws-native's ProviderAssumeRoleArgs; `duration` is converted to seconds.
_ROLE_KEYS = {
    "roleArn": "role_arn",
    "sessionName": "session_name",
    "externalId": "external_id",
    "policy": "policy",
    "policyArns": "policy_arns",
    "tags": "tags",
    "transitiveTagKeys": "transitive_tag_keys",
}
_DURATION = re.compile(r"(?:([0-9]+)h)?(?:([0-9]+)m)?(?:([0-9]+)s)?")


@dataclass(frozen=True)
class AssumeRole:
    """The role every provider assumes (the first and only item of `aws:assumeRoles`), in
    aws-native's argument names."""

    role_arn: str
    session_name: str | None = None
    external_id: str | None = None
    duration_seconds: int | None = None
    policy: str | None = None
    policy_arns: tuple[str, ...] = ()
    tags: Mapping[str, str] = field(default_factory=dict)
    transitive_tag_keys: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProviderSettings:
    """The stack's `aws:` config, as every provider the program creates must be configured."""

    region: str | None = None
    profile: str | None = None
    # Credentials stay out of the repr: a settings object may end up in a log or a traceback.
    access_key: str | None = field(default=None, repr=False)
    secret_key: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)
    assume_role: AssumeRole | None = None
    endpoints: Mapping[str, str] = field(default_factory=dict)
    """Every `aws:endpoints` override, by the aws provider's service key."""
    allowed_account_ids: tuple[str, ...] = ()
    forbidden_account_ids: tuple[str, ...] = ()
    shared_credentials_file: str | None = None
    skip_credentials_validation: bool | None = None
    skip_requesting_account_id: bool | None = None
    skip_metadata_api_check: bool | None = None
    skip_region_validation: bool | None = None
    insecure: bool | None = None
    max_retries: int | None = None
    default_tags: Mapping[str, str] = field(default_factory=dict)
    """`aws:defaultTags.tags`: the aws provider adds them to every resource's `tags`; what it does
    not tag (creation templates' `resourceTags`, aws-native resources) gets them from here."""
    problems: tuple[str, ...] = ()
    """Why a created provider could not be configured as the aws provider is (one line each)."""
    assume_roles: tuple[Mapping[str, Any], ...] = field(default=(), repr=False)
    """`aws:assumeRoles` as given (the whole chain, camelCase): an aws provider the program
    creates assumes it too, then its own role."""
    aws_only: Mapping[str, Any] = field(default_factory=dict, repr=False)
    """The `aws:` keys only an aws provider takes (UNMIRRORED and AWS_ONLY), as given."""

    @property
    def native_endpoints(self) -> dict[str, str]:
        """The overrides aws-native takes, by its own keys."""
        return {
            NATIVE_ENDPOINTS[service]: url
            for service, url in sorted(self.endpoints.items())
            if service in NATIVE_ENDPOINTS
        }

    def cloud_control_problem(self, what: str) -> str | None:
        """Why `what` (an aws-native resource, written through Cloud Control) must not be created:
        the stack sends its calls to other endpoints (an emulator: the local stack) but has none
        for Cloud Control, so those writes would reach real AWS."""
        if not self.endpoints or "cloudcontrol" in self.native_endpoints:
            return None
        services = ", ".join(sorted(self.endpoints))
        return (
            f"{PROVIDER_NAMESPACE}:endpoints = {services}: this stack sends its AWS calls to "
            f"other endpoints (an emulator) but names none for cloudcontrol, so {what} would be "
            "written through real AWS Cloud Control; refused: sign with `ecr:signing.mode: "
            "notation` on this stack (the emulator has no Cloud Control), or add a cloudcontrol "
            "endpoint to aws:endpoints"
        )


def provider_config() -> dict[str, Any]:
    """Every `aws:*` key the engine passed to this program, with the prefix removed."""
    from pulumi.runtime import config as runtime_config

    passed = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    prefix = f"{PROVIDER_NAMESPACE}:"
    return {k[len(prefix) :]: v for k, v in passed.items() if k.startswith(prefix)}


def _unmirrored(raw: Mapping[str, Any], files: tuple[str, ...]) -> list[str]:
    """What the aws-native provider cannot be given as the aws provider has it."""
    problems = []
    if len(files) > 1:
        problems.append(
            f"{PROVIDER_NAMESPACE}:sharedCredentialsFiles = {json.dumps(list(files))}: the "
            "aws-native provider reads one credentials file: name one"
        )
    for name in UNMIRRORED:
        if raw.get(name) not in (None, ""):
            problems.append(
                f"{PROVIDER_NAMESPACE}:{name} = {raw[name]}: the aws-native provider has no such "
                "setting, so it would call AWS otherwise than the aws provider: remove it, or "
                "set it in the environment both providers read"
            )
    return problems


def provider_settings(raw: Mapping[str, Any]) -> ProviderSettings:
    """The `aws:` keys (values as the engine passes them: strings, structured values as JSON),
    with what a created provider could not mirror in `problems`. The aws provider validates its
    own config; this only carries it over."""

    def value(name: str) -> Any:
        found = raw.get(name)
        if not isinstance(found, str):
            return found
        try:
            return json.loads(found)
        except ValueError:
            return found

    def text(name: str) -> str | None:
        found = raw.get(name)
        return str(found) if found not in (None, "") else None

    def flag(name: str) -> bool | None:
        found = value(name)
        return found if isinstance(found, bool) else None

    def strings(name: str) -> tuple[str, ...]:
        found = value(name)
        return tuple(str(v) for v in found) if isinstance(found, list) else ()

    endpoints: dict[str, str] = {}
    for entry in value("endpoints") or []:
        if isinstance(entry, dict):
            endpoints |= {str(k): str(v) for k, v in entry.items() if v}

    files = strings("sharedCredentialsFiles")
    problems = _unmirrored(raw, files)
    retries = value("maxRetries")
    return ProviderSettings(
        region=text("region"),
        profile=text("profile"),
        access_key=text("accessKey"),
        secret_key=text("secretKey"),
        token=text("token"),
        assume_role=_assume_role(value("assumeRoles"), problems),
        endpoints=endpoints,
        allowed_account_ids=strings("allowedAccountIds"),
        forbidden_account_ids=strings("forbiddenAccountIds"),
        shared_credentials_file=files[0] if files else None,
        skip_credentials_validation=flag("skipCredentialsValidation"),
        skip_requesting_account_id=flag("skipRequestingAccountId"),
        skip_metadata_api_check=flag("skipMetadataApiCheck"),
        skip_region_validation=flag("skipRegionValidation"),
        insecure=flag("insecure"),
        max_retries=retries if isinstance(retries, int) else None,
        default_tags=_default_tags(value("defaultTags")),
        problems=tuple(problems),
        assume_roles=tuple(r for r in value("assumeRoles") or [] if isinstance(r, dict)),
        aws_only={
            name: value(name)
            for name in sorted({*UNMIRRORED, *AWS_ONLY})
            if raw.get(name) not in (None, "")
        },
    )


def _default_tags(defaults: Any) -> dict[str, str]:
    """`aws:defaultTags` ({tags: {...}}), sorted; {} when unset or not that shape."""
    tags = defaults.get("tags") if isinstance(defaults, dict) else None
    return {str(k): str(v) for k, v in sorted(tags.items())} if isinstance(tags, dict) else {}


def _assume_role(roles: Any, problems: list[str]) -> AssumeRole | None:
    """The one role of `aws:assumeRoles` (aws-native assumes one role, not a chain)."""
    if not isinstance(roles, list) or not roles:
        return None
    path = f"{PROVIDER_NAMESPACE}:assumeRoles"
    if len(roles) > 1:
        arns = [r.get("roleArn") if isinstance(r, dict) else r for r in roles]
        problems.append(
            f"{path} = {json.dumps(arns)}: a chain of {len(roles)} roles; the aws-native "
            "provider assumes one role: give the last role of the chain a trust policy for the "
            "credentials and list only it"
        )
    first = roles[0] if isinstance(roles[0], dict) else {}
    unknown = sorted(set(first) - set(_ROLE_KEYS) - {"duration"})
    if unknown:
        problems.append(
            f"{path}[0] sets {', '.join(unknown)}: the aws-native provider's assumeRole has no "
            f"such setting (it takes {', '.join(sorted([*_ROLE_KEYS, 'duration']))})"
        )
    seconds = None
    if first.get("duration"):
        match = _DURATION.fullmatch(str(first["duration"]))
        if match and any(match.groups()):
            hours, minutes, secs = (int(g or 0) for g in match.groups())
            seconds = hours * 3600 + minutes * 60 + secs
        else:
            problems.append(
                f"{path}[0].duration = {first['duration']}: give it as hours, minutes and "
                "seconds (1h30m, 900s): the aws-native provider takes whole seconds"
            )
    if not first.get("roleArn"):
        return None
    return AssumeRole(
        role_arn=str(first["roleArn"]),
        session_name=first.get("sessionName"),
        external_id=first.get("externalId"),
        duration_seconds=seconds,
        policy=first.get("policy"),
        policy_arns=tuple(first.get("policyArns") or ()),
        tags=dict(first.get("tags") or {}),
        transitive_tag_keys=tuple(first.get("transitiveTagKeys") or ()),
    )
