"""Stack rules: what only the whole stack can tell, e.g. that every repository has a lifecycle
policy, or that every repository ECR creates on its own is covered by a creation template.

They judge the model's views of every resource (so repositories inside CloudFormation templates
count too). A value unknown during preview never hides the other findings: everything known is
judged, and what could not be is returned as a note.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pulumi_policy import PolicyResource
from pulumi_policy.proxy import UnknownValueError

from .actions import action_matches
from .config import Allowlist
from .model import (
    AWS_CFN_STACK_SET,
    AWS_REPOSITORY,
    GRANT,
    IDENTITY,
    LIFECYCLE,
    MANAGED,
    NATIVE_CFN_STACK_SET,
    PULL_THROUGH,
    REPLICATION,
    REPOSITORY,
    SCANNING,
    TEMPLATE,
    TRUST,
    Malformed,
    View,
    registry_wide,
    views,
)
from .props import MalformedPropertyError, document, mapping, sequence, show, string_or_list
from .rules_access import (
    allow_statements,
    ecr_writes,
    grants_ecr_write,
    trust_problems,
)
from .rules_repository import Context, registry_scanning, scan_on_push


def _known(read: Callable[[], Any]) -> tuple[bool, Any]:
    try:
        return True, read()
    except UnknownValueError:
        return False, None


read_known = _known
"""(True, value), or (False, None) when the value is unknown during preview."""


@dataclass(frozen=True)
class Item:
    """One view of one resource of the stack."""

    resource: PolicyResource
    view: View

    def read(self, key: str) -> tuple[bool, Any]:
        return _known(lambda: self.view.props.get(key))

    def region(self) -> tuple[bool, str | None]:
        """(known, region): the view's `region`, else the resource's provider's (None: the
        default). A resource inside a template is in its stack's region."""
        resource = self.resource
        known, region = _known(lambda: resource.props.get("region"))
        if not known:
            return False, None
        if isinstance(region, str) and region:
            return True, region
        if resource.provider is not None:
            known, region = _known(lambda: resource.provider.props.get("region"))  # type: ignore[union-attr]
            return known, region if isinstance(region, str) and region else None
        return True, None


Finding = tuple[PolicyResource, str]


def stack_items(resources: Iterable[PolicyResource]) -> tuple[list[Item], list[Finding]]:
    """Every view of every resource, and a note for each resource whose views cannot be known
    yet (e.g. a template body unknown during preview)."""
    items: list[Item] = []
    notes: list[Finding] = []
    for resource in resources:
        try:
            found = views(resource.resource_type, resource.props)
        except UnknownValueError:
            notes.append((resource, "its properties are unknown during preview"))
            continue
        except MalformedPropertyError:
            continue  # its resource policies report the malformed property
        # malformed parts are reported by the resource policies that judge them
        items += [Item(resource, v) for v in found if not isinstance(v.props, Malformed)]
    return items, notes


def _name_key(value: Any) -> str | None:
    """A repository name as a set key; anything that is not a string cannot name one."""
    return value if isinstance(value, str) else None


# long because: each repository goes through its cases in order; split, the order is lost
def repositories_without_lifecycle(
    resources: Iterable[PolicyResource],
) -> tuple[list[Finding], list[Finding]]:
    """(findings, notes). A repository is covered by a lifecycle policy of the same name in the
    same region, by dependency during preview, or (aws-native, CloudFormation) by its own
    lifecyclePolicy. A repository that a lifecycle policy with an unknown name might cover gets a
    note, never silence; the others are still judged."""
    items, notes = stack_items(resources)
    named: set[tuple[str | None, str]] = set()
    depended_on: set[str] = set()
    unresolved: list[tuple[Item, str | None, bool]] = []  # (policy, region, region known)
    for item in (i for i in items if i.view.kind == LIFECYCLE):
        depended_on.update(d.urn for d in item.resource.property_dependencies.get("repository", []))
        known, name = item.read("repository")
        known_region, region = item.region()
        if known and known_region:
            if _name_key(name):
                named.add((region, name))
        elif not item.resource.property_dependencies.get("repository"):
            unresolved.append((item, region, known_region))  # may be any repository's
    found: list[Finding] = []
    for item in (i for i in items if i.view.kind == REPOSITORY):
        if item.resource.resource_type != AWS_REPOSITORY:
            known, lifecycle = item.read("lifecyclePolicy")
            if known and isinstance(lifecycle, Mapping):
                known, text = _known(lambda p=lifecycle: p.get("lifecyclePolicyText"))  # type: ignore[misc]
            else:
                text = None  # none, or not an object: no lifecycle policy either way
            if not known or text:
                continue
        known, name = item.read("name")
        known_region, region = item.region()
        if item.resource.urn in depended_on:
            continue
        if not (known and known_region):
            notes.append((item.resource, "its name or region is unknown during preview"))
            continue
        if item.resource.resource_type == AWS_REPOSITORY and (region, _name_key(name)) in named:
            continue
        maybe = [
            p
            for p, r, r_known in unresolved
            if item.resource.resource_type == AWS_REPOSITORY and (not r_known or r == region)
        ]
        shown = name if isinstance(name, str) else show(name)
        if maybe:
            notes.append(
                (
                    item.resource,
                    f"repository {shown} may be covered by lifecycle policy "
                    f"{maybe[0].resource.name}, whose repository is unknown during preview",
                )
            )
            continue
        where = f" in {region}" if region else ""
        found.append(
            (
                item.resource,
                item.view.label(
                    f"Repository {shown}{where} has no aws.ecr.LifecyclePolicy in its region "
                    "(aws-native, CloudFormation: lifecyclePolicy): images pile up forever. "
                    "Attach one, e.g. keep the last N release images and expire untagged ones."
                ),
            )
        )
    return found, notes


@dataclass(frozen=True)
class _Template:
    region: str | None
    prefix: Any
    uses: list[Any]
    account: str | None
    """The account the template is in, when the stack shows it (provider allowedAccountIds, or
    its KMS key's account); None: unknown."""

    def covers(self, region: str | None, use: str, prefix: str | None, account: Any) -> bool:
        base = None if prefix is None else prefix.rstrip("/")
        names = ("ROOT",) if base is None else ("ROOT", base, base + "/")
        # A template whose account the pack cannot tell never counts as being in another one;
        # a destination in the source's own registry (no registryId) needs a template there.
        same_account = account is None or (self.account is not None and self.account == account)
        return self.region == region and use in self.uses and self.prefix in names and same_account


def provider_account(resource: Any) -> str | None:
    """The account a resource (or a resource being validated) is in, when its provider pins
    exactly one (`allowedAccountIds`: the provider refuses to run in any other); None: unknown.
    The stack's own ARNs are no evidence: the stack's author can write any account into them."""
    provider = getattr(resource, "provider", None)
    if provider is not None:
        known, ids = _known(lambda: provider.props.get("allowedAccountIds"))
        if known and isinstance(ids, str):
            # A provider created in code reaches the engine with its list JSON-encoded (the
            # SDKs send provider inputs as strings).
            try:
                ids = json.loads(ids)
            except ValueError:
                ids = []
        ids = list(ids) if known and isinstance(ids, Sequence) and not isinstance(ids, str) else []
        if len(ids) == 1 and isinstance(ids[0], str):
            return ids[0]
    return None


def _template_account(item: Item) -> str | None:
    """A template's account: its provider's, else its KMS key's (ECR encrypts the repositories
    a template creates with a key of the registry's own account)."""
    account = provider_account(item.resource)
    if account is not None:
        return account
    known, configs = item.read("encryptionConfigurations")
    for config in sequence(configs, "encryptionConfigurations") if known else []:
        key = config.get("kmsKey") if isinstance(config, Mapping) else None
        match = _ACCOUNT_IN_KEY.match(key) if isinstance(key, str) else None
        if match:
            return match.group(1)
    return None


_ACCOUNT_IN_KEY = re.compile(r"arn:aws[a-z-]*:kms:[a-z0-9-]*:([0-9]{12}):")


def _inbound_replication(item: Item) -> bool:
    """Whether a registry policy lets other accounts replicate into this registry."""
    known, registry = item.read("registry")
    known_document, raw = item.read("document")
    if not (known and registry and known_document):
        return False
    try:
        parsed = document(raw, "policy")
        return any(
            isinstance(a, str) and action_matches(a, "ecr:ReplicateImage")
            for _, statement in allow_statements(parsed)
            for a in string_or_list(statement.get("Action", []))
        )
    except MalformedPropertyError:
        return False


# long because: three kinds of creator share one judge over the same templates and notes
def uncovered_creations(
    resources: Iterable[PolicyResource], config: Mapping[str, Any] | None = None
) -> tuple[list[Finding], list[Finding]]:
    """(findings, notes) for each pull-through cache rule, replication destination and inbound
    replication grant that no creation template covers (same region and account, the use
    listed, the prefix or ROOT): the repositories ECR creates there would get AES256, mutable
    tags, no lifecycle policy and no tags. A template that cannot be read yet leaves a note on
    what it might cover; the rest is still judged. A replication destination the config's
    `externalReplicationTemplates` names (account and region) is covered by its own stack."""
    external = {
        (str(entry.get("account")), str(entry.get("region")))
        for entry in (config or {}).get("externalReplicationTemplates") or []
        if isinstance(entry, Mapping)
    }
    items, notes = stack_items(resources)
    templates: list[_Template] = []
    unreadable: list[tuple[Item, str | None, bool]] = []  # (template, region, region known)
    for item in (i for i in items if i.view.kind == TEMPLATE):
        known_region, region = item.region()
        known_prefix, prefix = item.read("prefix")
        known_uses, uses = item.read("appliedFors")
        if not (known_region and known_prefix and known_uses):
            unreadable.append((item, region, known_region))
            continue
        account = _known(lambda t=item: _template_account(t))[1]  # type: ignore[misc]
        templates.append(_Template(region, prefix, list(uses or []), account))

    def judge(item: Item, region: str | None, use: str, prefix: str | None, account: Any,
              problem: str) -> None:  # fmt: skip
        if any(t.covers(region, use, prefix, account) for t in templates):
            return
        maybe = [t for t, r, r_known in unreadable if not r_known or r == region]
        if maybe:
            notes.append(
                (
                    item.resource,
                    f"{problem.split(':')[0]}: may be covered by creation template "
                    f"{maybe[0].resource.name}, unknown during preview",
                )
            )
            return
        found.append((item.resource, item.view.label(problem)))

    defaults = "get AES256, mutable tags and no lifecycle policy"
    found: list[Finding] = []
    for item in (i for i in items if i.view.kind == PULL_THROUGH):
        known_region, region = item.region()
        known, prefix = item.read("ecrRepositoryPrefix")
        if not (known and known_region):
            notes.append((item.resource, "its prefix or region is unknown during preview"))
            continue
        prefix = prefix if isinstance(prefix, str) else None  # none: only ROOT can cover it
        judge(
            item,
            region,
            "PULL_THROUGH_CACHE",
            prefix,
            None,
            f"Pull-through cache prefix {show(prefix)} has no repository creation template "
            f"(PULL_THROUGH_CACHE, this prefix or ROOT): cached repositories {defaults}.",
        )
    for item in (i for i in items if i.view.kind == REPLICATION):
        known, config = item.read("replicationConfiguration")
        if not known:
            notes.append((item.resource, "its replicationConfiguration is unknown during preview"))
            continue
        for rule in mapping(config, "replicationConfiguration").get("rules") or []:
            for destination in mapping(rule, "rules[]").get("destinations") or []:
                entry = mapping(destination, "destinations[]")
                region, account = entry.get("region"), entry.get("registryId")
                if not isinstance(region, str) or (str(account), region) in external:
                    continue
                where = f"{region}" + (f" in account {account}" if account else "")
                judge(
                    item,
                    region,
                    "REPLICATION",
                    None,
                    account,
                    f"Replication to {where} has no repository creation template there "
                    f"(REPLICATION, prefix ROOT, that account; the pack tells a template's "
                    "account by its provider's allowedAccountIds or its KMS key's ARN): "
                    f"replicas {defaults}.",
                )
    for item in (i for i in items if i.view.kind == GRANT and _inbound_replication(i)):
        known_region, region = item.region()
        if not known_region:
            continue
        judge(
            item,
            region,
            "REPLICATION",
            None,
            None,
            "Registry policy lets other accounts replicate into this registry, but no repository "
            f"creation template (REPLICATION, prefix ROOT) is here: replicas {defaults}.",
        )
    return found, notes


# Properties that name the role a policy or attachment applies to, by resource type.
_ROLE_REFERENCES = {
    "aws:iam/rolePolicy:RolePolicy": "role",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": "role",
    "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive": "roleName",
    "aws:iam/policyAttachment:PolicyAttachment": "roles",
    "aws-native:iam:RolePolicy": "roleName",
    "aws-native:iam:ManagedPolicy": "roles",
}


def view_writes(view: View) -> list[str]:
    """The ECR writes an identity-policy or managed-policy view gives (none when it is unknown
    or malformed: other policies report those)."""
    if isinstance(view.props, Malformed):
        return []
    if view.kind == IDENTITY:
        known, raw = _known(lambda: view.props.get("document"))
        try:
            return ecr_writes(document(raw, "policy")) if known else []
        except MalformedPropertyError:
            return []
    if view.kind == MANAGED:
        known, arn = _known(lambda: view.props.get("arn"))
        return [f"managed policy {arn}"] if known and grants_ecr_write(arn) else []
    return []


def _item_writes(item: Item, policies: Mapping[str, list[str]]) -> list[str]:
    """The ECR writes one view gives, a policy of this stack attached by ARN included (its ARN
    is unknown during preview: matched by dependency)."""
    writes = view_writes(item.view)
    if not writes and item.view.kind == MANAGED:
        deps = item.resource.property_dependencies.get("policyArn", [])
        writes = [w for d in deps for w in policies.get(d.urn, [])]
    return writes


def roles_with_open_trust(
    resources: Iterable[PolicyResource], allow: Allowlist
) -> tuple[list[Finding], list[Finding]]:
    """(findings, notes) for each role whose ECR write comes from another resource of the stack
    (a role policy, an attachment) while its trust policy admits anyone, any OIDC subject or an
    account outside `allowedAccounts`. Roles that carry the write themselves are judged by
    ecr-iam-least-privilege."""
    resources = list(resources)
    items, notes = stack_items(resources)
    # ECR writes of each standalone policy document, by URN, for attachments by ARN.
    policies: dict[str, list[str]] = {}
    for item in items:
        if item.view.kind == IDENTITY and item.resource.resource_type == "aws:iam/policy:Policy":
            policies.setdefault(item.resource.urn, []).extend(_item_writes(item, {}))
    grants: list[tuple[PolicyResource, list[str]]] = []  # (granting resource, writes)
    for item in items:
        if item.resource.resource_type in _ROLE_REFERENCES:
            writes = _item_writes(item, policies)
            if writes:
                grants.append((item.resource, writes))
    found: list[Finding] = []
    for item in (i for i in items if i.view.kind == TRUST):
        role = item.resource
        own = [i for i in items if i.resource.urn == role.urn and i.view.kind != TRUST]
        if any(_item_writes(i, policies) for i in own):
            continue  # judged with the role itself
        known, name = _known(lambda r=role: r.props.get("name") or r.props.get("roleName"))  # type: ignore[misc]
        writes = [
            w for granting, ws in grants if _refers_to(granting, role, name if known else None)
            for w in ws
        ]  # fmt: skip
        if not writes:
            continue
        known, raw = item.read("document")
        if not known:
            notes.append((role, "its trust policy is unknown during preview"))
            continue
        try:
            trusted = allow.with_own(provider_account(role))
            problems = trust_problems(document(raw, "assumeRolePolicy"), trusted)
        except MalformedPropertyError as error:
            problems = [str(error)]
        for problem in problems:
            found.append(
                (
                    role,
                    item.view.label(
                        f"Role with ECR write from this stack ({', '.join(writes[:3])}): "
                        f"{problem}: restrict who can assume it"
                    ),
                )
            )
    return found, notes


def _refers_to(granting: PolicyResource, role: PolicyResource, name: str | None) -> bool:
    key = _ROLE_REFERENCES[granting.resource_type]
    if any(d.urn == role.urn for d in granting.property_dependencies.get(key, [])):
        return True
    known, value = _known(lambda: granting.props.get(key))
    if not known or name is None:
        return False
    names = [value] if isinstance(value, str) else list(value or [])
    return name in names or any(isinstance(n, str) and n.endswith(f":role/{name}") for n in names)


# --- one owner for registry-wide settings -------------------------------------------------------


def _entry_matches(entry: str, value: str | None) -> bool:
    return entry == "*" or value is None or entry == value


@dataclass(frozen=True)
class Owner:
    """One entry of `ecr-stack-registry-owner.owners`: the stacks that own the registry-wide
    settings of an account ("*": any) and region ("*": any)."""

    account: str
    region: str
    stacks: tuple[str, ...]

    def applies(self, account: str | None, region: str | None) -> bool:
        """Whether it may name the owner of (account, region); None: unknown, so any."""
        return _entry_matches(self.account, account) and _entry_matches(self.region, region)

    def specificity(self) -> int:
        return (self.account != "*") * 2 + (self.region != "*")

    def owns(self, stack: str) -> bool:
        return any(fnmatch.fnmatchcase(stack, pattern) for pattern in self.stacks)


@dataclass(frozen=True)
class RegistryWide:
    """The registry-wide resources of one stack in one account and region (None: unknown)."""

    account: str | None
    region: str | None
    items: tuple[Item, ...]

    def where(self) -> str:
        account = f"account {self.account}" if self.account else "an unknown account"
        region = f"region {self.region}" if self.region else "an unknown region"
        return f"{account}, {region}"

    def what(self) -> str:
        return ", ".join(
            f"{i.resource.name} ({i.view.where or registry_wide(i.view)})" for i in self.items
        )


def registry_wide_groups(
    resources: Iterable[PolicyResource],
) -> tuple[list[RegistryWide], list[Finding]]:
    """(groups, notes): the stack's registry-wide resources by account and region, every route
    (both providers, templates, Cloud Control) included."""
    items, notes = stack_items(resources)
    groups: dict[tuple[str | None, str | None], list[Item]] = {}
    for item in (i for i in items if registry_wide(i.view)):
        if item.resource.resource_type in (AWS_CFN_STACK_SET, NATIVE_CFN_STACK_SET):
            # Deployed to the stack set's instances, in accounts and regions the pack cannot see.
            groups.setdefault((None, None), []).append(item)
            continue
        known_region, region = item.region()
        if not known_region:
            notes.append((item.resource, "its region is unknown during preview"))
        groups.setdefault((provider_account(item.resource), region), []).append(item)
    return [RegistryWide(a, r, tuple(found)) for (a, r), found in groups.items()], notes


def registry_owner_problems(
    group: RegistryWide, stack: str, owners: Sequence[Owner]
) -> tuple[str | None, str | None]:
    """(problem, note) for `stack` managing `group` under `owners` (which must not be empty). The
    most specific entries for the account and region decide (an account beats `*`); with the
    account or region unknown, the stack passes only when it owns every registry it may be in
    (the worst case: the one it cannot tell is another stack's)."""
    applying = [o for o in owners if o.applies(group.account, group.region)]
    known = group.account is not None and group.region is not None
    if known and applying:
        best = max(o.specificity() for o in applying)
        applying = [o for o in applying if o.specificity() == best]
    named = sorted({s for o in applying for s in o.stacks})
    if any(o.owns(stack) for o in applying):
        if known or all(o.owns(stack) for o in applying):
            return None, None
        # The worst case: the registry it cannot tell may be one another stack owns.
        return (
            f"Stack {stack} manages registry-wide ECR settings in {group.where()} "
            f"({group.what()}), and owns only some of the registries they may be in "
            f"({', '.join(named)} own the others): the pack cannot prove it is the owner. Pin "
            "the provider's region and aws:allowedAccountIds to one account (a StackSet's "
            "instances cannot be told: manage registry-wide settings outside stack sets).",
            None,
        )
    owned_by = f"its owners are {', '.join(named)}" if named else "the config names no owner for it"
    return (
        f"Stack {stack} manages registry-wide ECR settings of {group.where()} "
        f"({group.what()}), but {owned_by} (ecr-stack-registry-owner.owners): two stacks managing "
        "them overwrite each other on every update. Move them to the owner stack (this "
        "program: `ecr:registryOwner: false` here), or name this stack as the owner.",
        None,
    )


# --- scanning: the repository's own scanOnPush, or the registry's scanning ----------------------


def scans_every_repository(props: Mapping[str, Any]) -> bool:
    """Whether a registry scanning configuration scans every repository on push or
    continuously, whatever each repository's own scanOnPush says (ECR User Guide: the registry
    setting replaces the repository-level one): ENHANCED with a `*` rule scanning on push or
    continuously, or BASIC with a `*` scan-on-push rule. Anything unknown: not proven."""
    try:
        rules = sequence(props.get("rules"), "rules")
        scan_type = props.get("scanType")
        if scan_type not in ("BASIC", "ENHANCED"):
            return False
        frequencies = (
            ("SCAN_ON_PUSH", "CONTINUOUS_SCAN") if scan_type == "ENHANCED" else ("SCAN_ON_PUSH",)
        )
        for index, rule in enumerate(rules):
            entry = mapping(rule, f"rules[{index}]")
            if entry.get("scanFrequency") not in frequencies:
                continue
            filters = sequence(entry.get("repositoryFilters"), "repositoryFilters")
            for found in filters:
                item = mapping(found, "repositoryFilters[]")
                if item.get("filter") == "*" and item.get("filterType", "WILDCARD") == "WILDCARD":
                    return True
    except (UnknownValueError, MalformedPropertyError):
        return False
    return False


def _registry_of(item: Item) -> tuple[bool, Any, str | None]:
    """(known, provider, region): which registry a view is in, as far as the stack shows it: the
    same provider (so the same account) and the same region."""
    provider = item.resource.provider
    known, region = item.region()
    return known, getattr(provider, "urn", None), region


ScanFinding = tuple[PolicyResource, str | None, str]
"""(resource at fault, repository name for exemptions or None, problem)."""


def unscanned_repositories(
    resources: Iterable[PolicyResource],
) -> tuple[list[ScanFinding], list[Finding]]:
    """(findings, notes): every registry scanning configuration that leaves repositories
    unscanned, and every repository that does not scan on push unless a registry scanning
    configuration of the same stack, provider and region scans every repository. A scanning
    configuration with a value unknown during preview covers nothing (the worst case); a
    StackSet's configuration is deployed where the pack cannot see, so it covers nothing here."""
    items, notes = stack_items(resources)
    found: list[ScanFinding] = []
    covering: set[tuple[Any, str | None]] = set()
    for item in (i for i in items if i.view.kind == SCANNING):
        try:
            problems = registry_scanning(item.view.props, Context())
        except UnknownValueError:
            problems = [
                "Registry scanning configuration has values unknown during preview: the pack "
                "cannot prove it scans every repository, so it covers none of them."
            ]
            notes.append((item.resource, problems[0]))
            problems = []
        except MalformedPropertyError as error:
            problems = [str(error)]
        for problem in problems:
            found.append((item.resource, None, item.view.label(problem)))
        stack_set = item.resource.resource_type in (AWS_CFN_STACK_SET, NATIVE_CFN_STACK_SET)
        known, provider, region = _registry_of(item)
        if known and not stack_set and scans_every_repository(item.view.props):
            covering.add((provider, region))
    for item in (i for i in items if i.view.kind == REPOSITORY):
        try:
            problems = scan_on_push(item.view.props, Context())
        except UnknownValueError:
            notes.append((item.resource, "its scanOnPush is unknown during preview"))
            continue
        except MalformedPropertyError as error:
            found.append((item.resource, None, item.view.label(str(error))))
            continue
        if not problems:
            continue
        known, provider, region = _registry_of(item)
        if known and (provider, region) in covering:
            continue
        name = item.read("name")[1]
        for problem in problems:
            found.append(
                (
                    item.resource,
                    name if isinstance(name, str) else None,
                    item.view.label(
                        f"{problem} (or give this stack a registry scanning configuration "
                        'for its region that scans every repository: a "*" rule, SCAN_ON_PUSH '
                        "or ENHANCED CONTINUOUS_SCAN)"
                    ),
                )
            )
    return found, notes
