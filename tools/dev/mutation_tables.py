"""The tables `make mutation` runs by (tools/dev/mutation.py): each core module's fast tests, the
functions mutated where a module is measured in part, and the equivalent mutants with their
reasons. Data only."""

from __future__ import annotations

import dataclasses

FAST_TESTS: dict[str, tuple[str, ...]] = {
    "components/access.py": ("tests/program/test_access.py",),
    "components/lifecycle.py": ("tests/program/test_lifecycle.py",),
    "components/settings/loading.py": (
        "tests/program/test_settings.py",
        "tests/program/test_settings_loading.py",
    ),
    "policy/ecr_guardrails/lifecycle_eval.py": ("tests/policy/test_lifecycle_eval.py",),
    "policy/ecr_guardrails/rules_access.py": (
        "tests/policy/test_policy.py",
        "tests/policy/test_policy_registry_owner.py",
        "tests/policy/test_rules_access.py",
    ),
    # The pure decisions; tests/tools/test_quarantine.py runs the command against moto (minutes).
    "tools/quarantine_plan.py": ("tests/tools/test_quarantine_plan.py",),
}
"""The core modules and the test files that pin each one."""

ONLY: dict[str, tuple[str, ...]] = {
    # 823 lines whose every test loads a whole stack config: the loading rules (how the engine's
    # strings are read, the registry owner, managed signing, the provider, the partition), not
    # each key's limits (tests/program/test_settings.py covers those key by key).
    "components/settings/loading.py": (
        "load_settings",
        "_decode",
        "_deeper_than",
        "_partition_problems",
        "_provider_problems",
        "_ownership_problems",
        "_signing_problems",
        "_signing_rules",
        "signing_filters",
        "_wildcard",
        "credential_account_problem",
        "kms_key_arn_problem",
    ),
}
"""Modules mutated in part: the functions (or `Class.method`s) that are mutated; the score is
of those functions."""


@dataclasses.dataclass(frozen=True)
class Equivalent:
    """A mutant that cannot change what the module does, named by what it changes (mutmut's
    numbers shift whenever the module changes; the line does not, and a changed line is measured
    again)."""

    function: str
    """`evaluate`, or `Image.from_details` for a method."""
    before: str
    """The line as written (stripped; lines joined by a space when the mutant changes several)."""
    after: str
    """The line as the mutant writes it (stripped; empty when it deletes the line)."""
    why: str


_STATUS = 'status = str(details.get("imageStatus", "ACTIVE")).upper()'
_NO_STATUS = "only ARCHIVED counts: an absent status read as anything else but ARCHIVED is standard"
_PREFIX_KEY = 'key = (storage, "prefix", tuple(sorted(map(str, selection["tagPrefixList"]))))'
_ISO = 'moment = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))'
_ISO_Z = "Python 3.11+ (the locked interpreter) reads `Z` itself (the replace is for 3.10)"

_LIMIT_SET = "the limits table sets this value (components/limits.py): the fallback never runs"
_CREATE = (
    """{f"arn:{partition}:ecr:*:{account_id}:repository/{p.rstrip('/')}*" for p in prefixes}"""
)
_LOWERCASE = "repository names and prefixes are lowercase (ECR's grammar): an X is never stripped"
_KEY_CASE = "IAM compares condition key names case-insensitively (`pins` lowers both)"
_NO_STAR = "_ARN_ACCOUNT admits no * before the account, so the text it matched has none"
_ONE_PROVIDER = "a provider ARN names oidc-provider/ once: every split gives the same host"
_NOT_ACTION = "a statement with NotAction has no Action (IAM refuses both): the check finds nothing"
_REQUIRED = (
    "IAM refuses a statement without it; read as the text null, its absence matches nothing either"
)
_ACTION_CASE = "action names are compared case-insensitively"
_ORG_ID_WILD = "an organisation id with * or ? fails _ORG_ID next anyway"
_FLAG = "iam_glob's flag is read as a truth value: None is False"
_FIRST_SEGMENT = "only the first segment is read: the number of splits does not change it"
_AWS_ONLY = "the account is only read when the kind is AWS"
_READ_ABOVE = "the destination was read as an object just above: this path is never shown"

EQUIVALENT: dict[str, tuple[Equivalent, ...]] = {
    "components/access.py": (
        Equivalent("_create_statement", _CREATE, _CREATE.replace("'/'", "'XX/XX'"), _LOWERCASE),
        Equivalent(
            "_widest",
            'names = sorted({p.rstrip("/") for p in prefixes})',
            'names = sorted({p.rstrip("XX/XX") for p in prefixes})',
            _LOWERCASE,
        ),
        Equivalent(
            "template_scopes",
            "IAM_INLINE_ROLE_POLICY.max or 0",
            "IAM_INLINE_ROLE_POLICY.max or 1",
            _LIMIT_SET,
        ),
        Equivalent(
            "template_scopes",
            "if group and _size(wider) > (IAM_MANAGED_POLICY.max or 0):",
            "if group and _size(wider) > (IAM_MANAGED_POLICY.max or 1):",
            _LIMIT_SET,
        ),
    ),
    "components/settings/loading.py": (
        Equivalent(
            "load_settings",
            'failed = {_failed_key(e["loc"]) for e in error.errors()} - {""}',
            'failed = {_failed_key(e["loc"]) for e in error.errors()} - {"XXXX"}',
            "the config is a map of keys and has no whole-model validator: every error names a "
            "key, so _failed_key never gives the empty text",
        ),
        Equivalent(
            "_signing_problems",
            'filter_pattern = re.compile(limits.SIGNING_FILTER.pattern or "")',
            'filter_pattern = re.compile(limits.SIGNING_FILTER.pattern or "XXXX")',
            _LIMIT_SET,
        ),
        Equivalent(
            "_signing_problems",
            "if len(rules) > (limits.SIGNING_RULES.max or 0):",
            "if len(rules) > (limits.SIGNING_RULES.max or 1):",
            _LIMIT_SET,
        ),
        Equivalent(
            "_signing_rules",
            "size = limits.SIGNING_FILTERS.max or 1",
            "size = limits.SIGNING_FILTERS.max or 2",
            _LIMIT_SET,
        ),
        Equivalent(
            "_wildcard",
            'return re.sub(r"__|-{2,}", lambda m: m.group()[0] + "*", name)',
            'return re.sub(r"__|-{2,}", lambda m: m.group()[1] + "*", name)',
            "the match is `__` or a run of `-`: its first and second characters are the same",
        ),
    ),
    "policy/ecr_guardrails/lifecycle_eval.py": (
        Equivalent("Image.from_details", _STATUS, _STATUS.replace('"ACTIVE"', "None"), _NO_STATUS),
        Equivalent("Image.from_details", _STATUS, _STATUS.replace(', "ACTIVE"', ", "), _NO_STATUS),
        Equivalent(
            "Image.from_details", _STATUS, _STATUS.replace("ACTIVE", "XXACTIVEXX"), _NO_STATUS
        ),
        Equivalent("Image.from_details", _STATUS, _STATUS.replace("ACTIVE", "active"), _NO_STATUS),
        Equivalent("timestamp", _ISO, _ISO.replace('"Z"', '"XXZXX"'), _ISO_Z),
        Equivalent("timestamp", _ISO, _ISO.replace('"Z"', '"z"'), _ISO_Z + "; AWS writes `Z`"),
        Equivalent(
            "selects",
            'storage = str(selection.get("storageClass", "standard")).lower()',
            'storage = str(selection.get("storageClass", "STANDARD")).lower()',
            "the default is lowercased next",
        ),
        Equivalent(
            "evaluate",
            'action = str(rule.get("action", {}).get("type", "expire")).lower()',
            'action = str(rule.get("action", {}).get("type", "EXPIRE")).lower()',
            "the default is lowercased next",
        ),
        Equivalent(
            "_policy_wide_problems",
            _PREFIX_KEY,
            _PREFIX_KEY.replace('"prefix"', '"XXprefixXX"'),
            "the label only keeps prefix keys apart from untagged ones; any other text does too",
        ),
        Equivalent(
            "_policy_wide_problems",
            _PREFIX_KEY,
            _PREFIX_KEY.replace('"prefix"', '"PREFIX"'),
            "the label only keeps prefix keys apart from untagged ones; any other text does too",
        ),
        Equivalent(
            "evaluate",
            "taken.add(image.digest)",
            "taken.add(None)",
            "every image a rule takes is among the images it matched, which join `seen` after "
            "the rule, so `taken` never decides (DescribeImages lists a digest once)",
        ),
    ),
    "policy/ecr_guardrails/rules_access.py": (
        Equivalent(
            "_org_ids",
            'for values in pins(statement, "aws:PrincipalOrgID"):',
            'for values in pins(statement, "aws:principalorgid"):',
            _KEY_CASE,
        ),
        Equivalent(
            "_org_ids",
            'for values in pins(statement, "aws:PrincipalOrgID"):',
            'for values in pins(statement, "AWS:PRINCIPALORGID"):',
            _KEY_CASE,
        ),
        Equivalent(
            "_org_ids",
            'for values in pins(statement, "aws:PrincipalOrgPaths"):',
            'for values in pins(statement, "aws:principalorgpaths"):',
            _KEY_CASE,
        ),
        Equivalent(
            "_org_ids",
            'for values in pins(statement, "aws:PrincipalOrgPaths"):',
            'for values in pins(statement, "AWS:PRINCIPALORGPATHS"):',
            _KEY_CASE,
        ),
        Equivalent(
            "_org_of_path",
            'head = pin.value.split("/", 1)[0]',
            'head = pin.value.split("/", )[0]',
            _FIRST_SEGMENT,
        ),
        Equivalent(
            "_org_of_path",
            'head = pin.value.split("/", 1)[0]',
            'head = pin.value.split("/", 2)[0]',
            _FIRST_SEGMENT,
        ),
        Equivalent(
            "_org_of_path",
            'if pin.like and ("*" in head or "?" in head):',
            'if pin.like and ("*" in head and "?" in head):',
            _ORG_ID_WILD,
        ),
        Equivalent(
            "_org_of_path",
            'if pin.like and ("*" in head or "?" in head):',
            'if pin.like and ("XX*XX" in head or "?" in head):',
            _ORG_ID_WILD,
        ),
        Equivalent(
            "_org_of_path",
            'if pin.like and ("*" in head or "?" in head):',
            'if pin.like and ("*" in head or "XX?XX" in head):',
            _ORG_ID_WILD,
        ),
        Equivalent(
            "_who_problems",
            'account = account_of(principal) if kind == "AWS" else None',
            'account = account_of(principal) if (kind == "AWS") or True else None',
            _AWS_ONLY,
        ),
        Equivalent(
            "_writes",
            'granted = _strings(statement.get("Action", []))',
            'granted = _strings(statement.get("Action", None))',
            _REQUIRED,
        ),
        Equivalent(
            "_writes",
            'granted = _strings(statement.get("Action", []))',
            'granted = _strings(statement.get("Action", ))',
            _REQUIRED,
        ),
        Equivalent(
            "federated_problem",
            'host = principal.split("oidc-provider/", 1)[1]',
            'host = principal.split("oidc-provider/", )[1]',
            _ONE_PROVIDER,
        ),
        Equivalent(
            "federated_problem",
            'host = principal.split("oidc-provider/", 1)[1]',
            'host = principal.rsplit("oidc-provider/", 1)[1]',
            _ONE_PROVIDER,
        ),
        Equivalent(
            "federated_problem",
            'host = principal.split("oidc-provider/", 1)[1]',
            'host = principal.split("oidc-provider/", 2)[1]',
            _ONE_PROVIDER,
        ),
        Equivalent(
            "grant_problems",
            'wild = _every_action_wildcards(_strings(statement.get("Action", [])))',
            'wild = _every_action_wildcards(_strings(statement.get("Action", None)))',
            _REQUIRED,
        ),
        Equivalent(
            "grant_problems",
            'wild = _every_action_wildcards(_strings(statement.get("Action", [])))',
            'wild = _every_action_wildcards(_strings(statement.get("Action", )))',
            _REQUIRED,
        ),
        Equivalent(
            "iam_problems",
            'if "NotAction" not in statement:',
            'if "XXNotActionXX" not in statement:',
            _NOT_ACTION,
        ),
        Equivalent(
            "iam_problems",
            'if "NotAction" not in statement:',
            'if "notaction" not in statement:',
            _NOT_ACTION,
        ),
        Equivalent(
            "iam_problems",
            'if "NotAction" not in statement:',
            'if "NOTACTION" not in statement:',
            _NOT_ACTION,
        ),
        Equivalent(
            "iam_problems",
            'for a in _every_action_wildcards(_strings(statement.get("Action", [])))',
            'for a in _every_action_wildcards(_strings(statement.get("Action", None)))',
            _REQUIRED,
        ),
        Equivalent(
            "iam_problems",
            'for a in _every_action_wildcards(_strings(statement.get("Action", [])))',
            'for a in _every_action_wildcards(_strings(statement.get("Action", )))',
            _REQUIRED,
        ),
        Equivalent(
            "iam_problems",
            'if not action_matches(a, "s3:GetObject")  # `*` is judged by its resources below',
            'if not action_matches(a, "s3:getobject")  # `*` is judged by its resources below',
            _ACTION_CASE,
        ),
        Equivalent(
            "iam_problems",
            'if not action_matches(a, "s3:GetObject")  # `*` is judged by its resources below',
            'if not action_matches(a, "S3:GETOBJECT")  # `*` is judged by its resources below',
            _ACTION_CASE,
        ),
        Equivalent(
            "iam_problems",
            'resources = _strings(statement.get("Resource", []))',
            'resources = _strings(statement.get("Resource", None))',
            _REQUIRED,
        ),
        Equivalent(
            "iam_problems",
            'resources = _strings(statement.get("Resource", []))',
            'resources = _strings(statement.get("Resource", ))',
            _REQUIRED,
        ),
        Equivalent(
            "replication_problems",
            "f\"{_text(mapping(destination, 'destinations[]').get('region'))}) copies every \"",
            "f\"{_text(mapping(destination, None).get('region'))}) copies every \"",
            _READ_ABOVE,
        ),
        Equivalent(
            "replication_problems",
            "f\"{_text(mapping(destination, 'destinations[]').get('region'))}) copies every \"",
            "f\"{_text(mapping(destination, 'XXdestinations[]XX').get('region'))}) copies every \"",
            _READ_ABOVE,
        ),
        Equivalent(
            "replication_problems",
            "f\"{_text(mapping(destination, 'destinations[]').get('region'))}) copies every \"",
            "f\"{_text(mapping(destination, 'DESTINATIONS[]').get('region'))}) copies every \"",
            _READ_ABOVE,
        ),
        Equivalent(
            "resource_matches",
            "return iam_glob(pattern, False).fullmatch(arn) is not None",
            "return iam_glob(pattern, None).fullmatch(arn) is not None",
            _FLAG,
        ),
        Equivalent(
            "source_pinned",
            'return account_ok(match.group(1)) and "*" not in pin.value[: match.end()]',
            'return account_ok(match.group(1)) and "XX*XX" not in pin.value[: match.end()]',
            _NO_STAR,
        ),
        Equivalent(
            "source_pinned",
            '_pinned(statement, "aws:SourceAccount", lambda p: not p.wild and account_ok(p.value))',
            '_pinned(statement, "aws:sourceaccount", lambda p: not p.wild and account_ok(p.value))',
            _KEY_CASE,
        ),
        Equivalent(
            "source_pinned",
            '_pinned(statement, "aws:SourceAccount", lambda p: not p.wild and account_ok(p.value))',
            '_pinned(statement, "AWS:SOURCEACCOUNT", lambda p: not p.wild and account_ok(p.value))',
            _KEY_CASE,
        ),
        Equivalent(
            "source_pinned",
            'or _pinned(statement, "aws:SourceArn", arn_ok)',
            'or _pinned(statement, "aws:sourcearn", arn_ok)',
            _KEY_CASE,
        ),
        Equivalent(
            "source_pinned",
            'or _pinned(statement, "aws:SourceArn", arn_ok)',
            'or _pinned(statement, "AWS:SOURCEARN", arn_ok)',
            _KEY_CASE,
        ),
        Equivalent(
            "source_pinned",
            'or _pinned(statement, "aws:SourceOrgID", lambda p: not p.wild and org_ok(p.value))',
            'or _pinned(statement, "aws:sourceorgid", lambda p: not p.wild and org_ok(p.value))',
            _KEY_CASE,
        ),
        Equivalent(
            "source_pinned",
            'or _pinned(statement, "aws:SourceOrgID", lambda p: not p.wild and org_ok(p.value))',
            'or _pinned(statement, "AWS:SOURCEORGID", lambda p: not p.wild and org_ok(p.value))',
            _KEY_CASE,
        ),
        Equivalent(
            "source_pinned",
            'or _pinned(statement, "aws:SourceOrgPaths", lambda p: org_ok(_org_of_path(p)))',
            'or _pinned(statement, "aws:sourceorgpaths", lambda p: org_ok(_org_of_path(p)))',
            _KEY_CASE,
        ),
        Equivalent(
            "source_pinned",
            'or _pinned(statement, "aws:SourceOrgPaths", lambda p: org_ok(_org_of_path(p)))',
            'or _pinned(statement, "AWS:SOURCEORGPATHS", lambda p: org_ok(_org_of_path(p)))',
            _KEY_CASE,
        ),
        Equivalent(
            "trust_problems",
            'actions = _strings(statement.get("Action", []))',
            'actions = _strings(statement.get("Action", None))',
            _REQUIRED,
        ),
        Equivalent(
            "trust_problems",
            'actions = _strings(statement.get("Action", []))',
            'actions = _strings(statement.get("Action", ))',
            _REQUIRED,
        ),
    ),
    "tools/quarantine_plan.py": (
        Equivalent(
            "candidates",
            'if image["imageDigest"] == target["imageDigest"] or current is None:',
            'if image["imageDigest"] == target["imageDigest"] and current is None:',
            "what this lets through is dropped next: an image without a version is no final "
            "release, and the target's own version is not below itself",
        ),
    ),
}
"""Per module: the surviving mutants that are equivalent, with the reason."""
