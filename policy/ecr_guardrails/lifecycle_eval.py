"""What an ECR lifecycle policy would do to a repository's images (pure).

A model of ECR's documented evaluation (ECR User Guide, "Lifecycle policy evaluation rules" and
"Lifecycle policy properties"), so a proposed policy can be judged before it is applied:

- rules are evaluated in ascending rulePriority; an image is acted on by at most one rule;
- an image that matches the tag requirements of a rule cannot be expired (or transitioned) by a
  rule with a lower priority — it still counts for that rule's image count ("rules can still
  identify them as if they haven't been expired");
- `tagged` with tagPrefixList: every prefix in the list must start one of the image's tags;
  with tagPatternList: every pattern (where `*` matches any run of characters) must match one of
  the image's tags; `untagged`: images without tags; `any`: every image;
- rules select images of one storage class (`storageClass`, default standard);
- imageCountMoreThan N: the matching images newest first by push time, all after the first N;
  sinceImagePushed / sinceImagePulled / sinceImageTransitioned D days: matching images whose
  push / last recorded pull (else the restore from the archive, else push) / archive time is more
  than D days ago;
- expiration always takes older images first.

`policy_problems` is ECR's acceptance of a document (what PutLifecyclePolicy refuses), per rule and
field: the program checks a stack's own rules with it, and the tests every generated policy.

ECR's semantics, so it lives with the rules (policy/ stays publishable on its own):
`tools.retention` judges a stack file's proposed policies with it, and compares it with AWS's own
lifecycle policy preview when asked (`--aws-preview`), reporting any disagreement.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any


@dataclass(frozen=True)
class Image:
    """An image as DescribeImages describes it (the fields lifecycle rules read)."""

    digest: str
    tags: tuple[str, ...]
    pushed_at: datetime.datetime
    last_pulled_at: datetime.datetime | None = None
    storage_class: str = "standard"
    """`standard`, or `archive` for an ARCHIVED image."""
    archived_at: datetime.datetime | None = None
    activated_at: datetime.datetime | None = None
    """When it was last restored from the archive (`lastActivatedAt`), if ever."""

    @classmethod
    def from_details(cls, details: Mapping[str, Any]) -> Image:
        """From one `imageDetails` entry of DescribeImages (boto3's or the AWS CLI's JSON)."""
        status = str(details.get("imageStatus", "ACTIVE")).upper()
        return cls(
            digest=str(details["imageDigest"]),
            tags=tuple(details.get("imageTags") or ()),
            pushed_at=timestamp(details["imagePushedAt"]),
            last_pulled_at=_optional_time(details.get("lastRecordedPullTime")),
            storage_class="archive" if status == "ARCHIVED" else "standard",
            archived_at=_optional_time(details.get("lastArchivedAt")),
            activated_at=_optional_time(details.get("lastActivatedAt")),
        )


@dataclass(frozen=True)
class Action:
    """What one rule does to one image."""

    image: Image
    rule: int
    """The rulePriority of the rule that takes the image."""
    type: str
    """`expire` or `transition` (to archive)."""


@dataclass
class Evaluation:
    actions: list[Action] = field(default_factory=list)

    def of_type(self, kind: str) -> list[Action]:
        return [a for a in self.actions if a.type == kind]


def timestamp(value: Any) -> datetime.datetime:
    """A time from boto3 (datetime), the AWS CLI (ISO 8601) or epoch seconds; UTC if naive."""
    if isinstance(value, datetime.datetime):
        moment = value
    elif isinstance(value, int | float):
        moment = datetime.datetime.fromtimestamp(value, datetime.timezone.utc)
    elif isinstance(value, str):
        moment = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    else:
        raise ValueError(f"not a time: {value!r}")
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.timezone.utc)


def _optional_time(value: Any) -> datetime.datetime | None:
    return None if value is None else timestamp(value)


@lru_cache(maxsize=1024)
def _pattern(pattern: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")), re.DOTALL)


def pattern_matches(pattern: str, tag: str) -> bool:
    """A lifecycle tagPatternList entry: `*` matches any run of characters; nothing else is."""
    return _pattern(pattern).fullmatch(tag) is not None


def _matches_tags(selection: Mapping[str, Any], image: Image) -> bool:
    status = selection.get("tagStatus")
    if status == "untagged":
        return not image.tags
    if status == "any":
        return True
    if not image.tags:
        return False
    prefixes = selection.get("tagPrefixList") or []
    patterns = selection.get("tagPatternList") or []
    return all(any(t.startswith(p) for t in image.tags) for p in prefixes) and all(
        any(pattern_matches(p, t) for t in image.tags) for p in patterns
    )


def selects(selection: Mapping[str, Any], image: Image) -> bool:
    """Whether a rule's selection matches an image (tag requirements and storage class)."""
    storage = str(selection.get("storageClass", "standard")).lower()
    return image.storage_class == storage and _matches_tags(selection, image)


def _age_reference(count_type: str, image: Image) -> datetime.datetime | None:
    if count_type == "sinceImagePushed":
        return image.pushed_at
    if count_type == "sinceImagePulled":
        # ECR: the last recorded pull; never pulled: the push; restored from the archive and not
        # pulled since: the restore.
        moments = [m for m in (image.last_pulled_at, image.activated_at) if m is not None]
        return max(moments) if moments else image.pushed_at
    if count_type == "sinceImageTransitioned":
        return image.archived_at
    return None


def _candidates(
    selection: Mapping[str, Any], matched: Sequence[Image], now: datetime.datetime
) -> list[Image]:
    """The matched images a rule would act on, oldest first."""
    count_type, number = selection.get("countType"), int(selection.get("countNumber", 0))
    newest_first = sorted(matched, key=lambda i: (i.pushed_at, i.digest), reverse=True)
    if count_type == "imageCountMoreThan":
        chosen = newest_first[number:]
    else:
        limit = now - datetime.timedelta(days=number)
        chosen = [
            i
            for i in newest_first
            if (moment := _age_reference(str(count_type), i)) is not None and moment < limit
        ]
    return list(reversed(chosen))


def evaluate(
    policy: Mapping[str, Any], images: Iterable[Image], now: datetime.datetime
) -> Evaluation:
    """The action each rule of `policy` would take on `images` at `now`."""
    images = list(images)
    rules = sorted(policy.get("rules", []), key=lambda r: int(r["rulePriority"]))
    seen: set[str] = set()  # digests matched by a higher-priority rule's tag requirements
    taken: set[str] = set()
    result = Evaluation()
    for rule in rules:
        selection = rule.get("selection", {})
        action = str(rule.get("action", {}).get("type", "expire")).lower()
        matched = [i for i in images if selects(selection, i)]
        for image in _candidates(selection, matched, now):
            if image.digest in seen or image.digest in taken:
                continue
            taken.add(image.digest)
            result.actions.append(Action(image, int(rule["rulePriority"]), action))
        seen.update(i.digest for i in matched)
    return result


# --- what a policy can do to release images ----------------------------------------------------


def pattern_within(inner: str, outer: str) -> bool:
    """Whether every tag the lifecycle pattern `inner` matches, `outer` matches too. Sound: False
    whenever that is not certain (only `*`-only, literal and `prefix*` outers are decided)."""
    if "*" not in inner:
        return pattern_matches(outer, inner)
    if set(outer) == {"*"}:
        return True
    if outer.count("*") == 1 and outer.endswith("*"):
        return inner.split("*", 1)[0].startswith(outer[:-1])
    return inner == outer


def _claims(selection: Mapping[str, Any], pattern: str) -> bool:
    """Whether a rule's tag requirements match every image carrying a tag `pattern` matches (so
    later rules can no longer act on those images)."""
    status = selection.get("tagStatus")
    if status == "any":
        return True
    if status != "tagged":
        return False
    head = pattern.split("*", 1)[0]
    patterns = selection.get("tagPatternList") or []
    prefixes = selection.get("tagPrefixList") or []
    return all(isinstance(p, str) and pattern_within(pattern, p) for p in patterns) and all(
        isinstance(q, str) and head.startswith(q) for q in prefixes
    )


def release_problems(
    policy: Mapping[str, Any], releases: Sequence[str], min_images: int, min_days: int
) -> list[str]:
    """Why a lifecycle policy can expire or archive images carrying a release tag (a tag one of
    `releases` matches) sooner than keeping `min_images` of them or `min_days` after the moment
    the rule counts from; empty when it cannot.

    Read as ECR evaluates (the rules above): rules in ascending rulePriority, per storage class;
    an image carrying a release tag can be taken by any `tagged` or `any` rule (an image can carry
    other tags too), until an earlier rule's tag requirements match every image that carries it.
    Every rule that can take such images must keep at least `min_images` (imageCountMoreThan) or
    wait at least `min_days` (sinceImagePushed, sinceImagePulled, sinceImageTransitioned)."""
    rules = policy.get("rules")
    if rules is None:
        return []  # no rules: nothing expires (ECR refuses such a policy anyway)
    if not isinstance(rules, list):
        return ["its rules cannot be read: the pack cannot prove release images are kept"]
    problems: list[str] = []
    open_by_class: dict[str, list[str]] = {}

    def priority(rule: Mapping[str, Any]) -> int:
        value = rule.get("rulePriority")
        return value if isinstance(value, int) else 0

    ordered = sorted((r for r in rules if isinstance(r, Mapping)), key=priority)
    for index, rule in enumerate(ordered):
        selection = rule.get("selection")
        selection = selection if isinstance(selection, Mapping) else {}
        storage = str(selection.get("storageClass", "standard")).lower()
        open_patterns = open_by_class.setdefault(storage, list(releases))
        if not open_patterns or selection.get("tagStatus") == "untagged":
            continue
        action = rule.get("action")
        kind = str((action if isinstance(action, Mapping) else {}).get("type", "expire")).lower()
        count_type, number = selection.get("countType"), selection.get("countNumber")
        safe = (
            isinstance(number, int | float)
            and not isinstance(number, bool)
            and (
                (count_type == "imageCountMoreThan" and number >= min_images)
                or (count_type in AGE_COUNT_TYPES and number >= min_days)
            )
        )
        if not safe:
            what = "archive" if kind == "transition" else kind
            problems.append(
                f"{rule_name(index, rule)} can {what} images tagged "
                f"{', '.join(open_patterns)} ({storage}) after {count_type} {number}: keep at "
                f"least {min_images} of them (imageCountMoreThan) or act only after {min_days} "
                "days, or give the release tags an earlier rule of their own that does"
            )
        open_by_class[storage] = [p for p in open_patterns if not _claims(selection, p)]
    return problems


# --- what ECR accepts -----------------------------------------------------------------------------

TAG_STATUSES = ("tagged", "untagged", "any")
COUNT_TYPES = (
    "imageCountMoreThan",
    "sinceImagePushed",
    "sinceImagePulled",
    "sinceImageTransitioned",
)
AGE_COUNT_TYPES = COUNT_TYPES[1:]
RULE_FIELDS = frozenset({"rulePriority", "description", "selection", "action"})
SELECTION_FIELDS = frozenset(
    {"tagStatus", "tagPatternList", "tagPrefixList", "storageClass", "countType", "countUnit",
     "countNumber"}
)  # fmt: skip
ACTION_FIELDS = frozenset({"type", "targetStorageClass"})
MAX_COUNT = 10000  # imageCountMoreThan
MIN_ARCHIVED_DAYS = 90  # an archived image stays at least 90 days
MAX_WILDCARDS = 4  # per tagPatternList entry


def policy_problems(policy: Mapping[str, Any]) -> list[str]:
    """What ECR's PutLifecyclePolicy refuses in `policy`, each naming the rule and the field
    (ECR User Guide: "Lifecycle policy properties", "Lifecycle policy evaluation rules",
    "Examples of lifecycle policies")."""
    rules = policy.get("rules")
    if not isinstance(rules, list) or not rules:
        return ["rules: must be a non-empty list of rules"]
    found: list[str] = []
    for index, rule in enumerate(rules):
        found += _rule_problems(index, rule)
    return found + _policy_wide_problems(rules)


def rule_name(index: int, rule: Mapping[str, Any]) -> str:
    """How a message names a rule: its priority, and its description when it has one."""
    description = rule.get("description")
    named = f"rule {rule.get('rulePriority', f'#{index + 1}')}"
    return f"{named} ({description})" if description else named


def _rule_problems(index: int, rule: Any) -> list[str]:
    if not isinstance(rule, Mapping):
        return [f"rule #{index + 1}: must be an object"]
    name = rule_name(index, rule)
    found = [f"{name}: unknown field {f!r}" for f in sorted(set(rule) - RULE_FIELDS)]
    priority = rule.get("rulePriority")
    if not isinstance(priority, int) or isinstance(priority, bool) or priority < 1:
        found.append(f"{name}: rulePriority must be a positive integer, not {priority!r}")
    if "description" in rule and not isinstance(rule["description"], str):
        found.append(f"{name}: description must be a string")
    selection, action = rule.get("selection"), rule.get("action")
    if not isinstance(selection, Mapping):
        return [*found, f"{name}: selection must be an object"]
    if not isinstance(action, Mapping):
        return [*found, f"{name}: action must be an object"]
    return found + _selection_problems(name, selection) + _action_problems(name, selection, action)


def _selection_problems(name: str, selection: Mapping[str, Any]) -> list[str]:
    found = [
        f"{name}: selection has unknown field {f!r}"
        for f in sorted(set(selection) - SELECTION_FIELDS)
    ]
    status = selection.get("tagStatus")
    if status not in TAG_STATUSES:
        found.append(f"{name}: selection.tagStatus must be one of {', '.join(TAG_STATUSES)}")
    lists = [f for f in ("tagPrefixList", "tagPatternList") if f in selection]
    if len(lists) == 2:
        found.append(f"{name}: selection has tagPrefixList and tagPatternList; give one")
    if status == "tagged" and not lists:
        found.append(f"{name}: selection.tagStatus tagged needs tagPatternList or tagPrefixList")
    if status in ("untagged", "any") and lists:
        found.append(f"{name}: selection.{lists[0]} is only allowed with tagStatus tagged")
    for field_name in lists:
        values = selection[field_name]
        if not isinstance(values, list) or not values:
            found.append(f"{name}: selection.{field_name} must be a non-empty list of strings")
            continue
        for value in values:
            if not isinstance(value, str) or not value:
                found.append(f"{name}: selection.{field_name} entry {value!r} is not a tag text")
            elif value.count("*") > MAX_WILDCARDS and field_name == "tagPatternList":
                found.append(
                    f"{name}: selection.tagPatternList entry {value!r} has more than "
                    f"{MAX_WILDCARDS} `*`"
                )
    count_type, unit, number = (
        selection.get("countType"),
        selection.get("countUnit"),
        selection.get("countNumber"),
    )
    if count_type not in COUNT_TYPES:
        found.append(f"{name}: selection.countType must be one of {', '.join(COUNT_TYPES)}")
    if not isinstance(number, int) or isinstance(number, bool) or number < 1:
        found.append(f"{name}: selection.countNumber must be a positive integer, not {number!r}")
    elif count_type == "imageCountMoreThan" and number > MAX_COUNT:
        found.append(f"{name}: selection.countNumber of imageCountMoreThan is at most {MAX_COUNT}")
    elif count_type == "sinceImageTransitioned" and number < MIN_ARCHIVED_DAYS:
        found.append(
            f"{name}: selection.countNumber of sinceImageTransitioned is at least "
            f"{MIN_ARCHIVED_DAYS} (archived images stay {MIN_ARCHIVED_DAYS} days)"
        )
    if count_type in AGE_COUNT_TYPES and unit != "days":
        found.append(f"{name}: selection.countUnit must be days with countType {count_type}")
    if count_type == "imageCountMoreThan" and unit is not None:
        found.append(f"{name}: selection.countUnit is not allowed with imageCountMoreThan")
    storage = selection.get("storageClass", "standard")
    wanted = "archive" if count_type == "sinceImageTransitioned" else "standard"
    if count_type == "sinceImageTransitioned" and "storageClass" not in selection:
        found.append(
            f"{name}: selection.storageClass archive is required with sinceImageTransitioned"
        )
    elif storage != wanted and count_type in COUNT_TYPES:
        found.append(f"{name}: selection.storageClass must be {wanted} with countType {count_type}")
    return found


def _action_problems(
    name: str, selection: Mapping[str, Any], action: Mapping[str, Any]
) -> list[str]:
    found = [f"{name}: action has unknown field {f!r}" for f in sorted(set(action) - ACTION_FIELDS)]
    kind, count_type = action.get("type"), selection.get("countType")
    if kind == "expire":
        if "targetStorageClass" in action:
            found.append(f"{name}: action.targetStorageClass is only for type transition")
        if count_type == "sinceImagePulled":
            found.append(
                f"{name}: action.type expire cannot go with sinceImagePulled (ECR only archives by "
                "pull time: transition, then expire with sinceImageTransitioned)"
            )
    elif kind == "transition":
        if action.get("targetStorageClass") != "archive":
            found.append(f"{name}: action.targetStorageClass must be archive with transition")
        if count_type == "sinceImageTransitioned":
            found.append(
                f"{name}: action.type transition cannot go with sinceImageTransitioned (it "
                "selects archived images, which can only expire)"
            )
    else:
        found.append(f"{name}: action.type must be expire or transition, not {kind!r}")
    return found


def _policy_wide_problems(rules: Sequence[Any]) -> list[str]:
    """Between rules (those whose priority and selection can be read; the rest are named above)."""
    rules = [
        r
        for r in rules
        if isinstance(r, Mapping)
        and isinstance(r.get("rulePriority"), int)
        and isinstance(r.get("selection"), Mapping)
    ]
    found = []
    priorities = [int(r["rulePriority"]) for r in rules]
    repeated = sorted({p for p in priorities if priorities.count(p) > 1})
    if repeated:
        found.append(f"rulePriority values must be unique: {repeated} used more than once")
    ordered = sorted(enumerate(rules), key=lambda pair: int(pair[1]["rulePriority"]))
    last_specific = max(
        (int(r["rulePriority"]) for _, r in ordered if r["selection"].get("tagStatus") != "any"),
        default=0,
    )
    for index, rule in ordered:
        if (
            rule["selection"].get("tagStatus") == "any"
            and int(rule["rulePriority"]) < last_specific
        ):
            found.append(
                f"{rule_name(index, rule)}: selection.tagStatus any must have the highest "
                f"rulePriority (rule {last_specific} comes after it)"
            )
    # Per storage class: one untagged rule, and no two rules with the same tag prefixes.
    seen: dict[tuple[str, str, tuple[str, ...]], str] = {}
    for index, rule in ordered:
        selection = rule["selection"]
        storage = str(selection.get("storageClass", "standard"))
        key: tuple[str, str, tuple[str, ...]]
        if selection.get("tagStatus") == "untagged":
            key = (storage, "untagged", ())
        elif isinstance(selection.get("tagPrefixList"), list):
            key = (storage, "prefix", tuple(sorted(map(str, selection["tagPrefixList"]))))
        else:
            continue
        name = rule_name(index, rule)
        if key in seen:
            what = "untagged images" if key[1] == "untagged" else f"tag prefixes {list(key[2])}"
            found.append(f"{name}: selects {what} in {storage} storage as {seen[key]} does")
        seen.setdefault(key, name)
    return found
