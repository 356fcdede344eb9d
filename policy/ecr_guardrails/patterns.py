"""Action and resource patterns read as the sets they match, not by their shape.

- Actions: a union of Action patterns is expanded against the catalogue (IAM's dataset), so
  `ecr:A*` ... `ecr:Z*` together are what `ecr:*` is.
- Repositories: a union of Resource patterns covers "every repository" when, for every name ECR
  accepts (botocore's RepositoryName pattern, 2-256 characters), some pattern matches a repository
  ARN with that name. The check is a breadth-first search over the product of the name grammar's
  automaton and one glob automaton per pattern: it looks for the shortest name no pattern
  matches. Over-approximating on purpose: the registry part of an ARN (partition, region,
  account) is not compared across patterns, so patterns aimed at different registries count
  together, and an IAM policy variable (`${aws:username}`) counts as `*`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from .actions import action_matches, catalogue

# --- actions -----------------------------------------------------------------------------------


def every_write_covered(patterns: Iterable[str]) -> list[str]:
    """The services (`ecr`, `ecr-public`) whose every write action some pattern of `patterns`
    matches: the union is a write-everything grant."""
    found = []
    listed = list(patterns)
    for service in ("ecr", "ecr-public"):
        writes = [a.qualified for a in catalogue().values() if a.service == service and a.writes]
        if writes and all(any(action_matches(p, w) for p in listed) for w in writes):
            found.append(service)
    return found


def every_action_covered(patterns: Iterable[str]) -> list[str]:
    """The services whose every action (reads too) the union of `patterns` matches."""
    found = []
    listed = list(patterns)
    for service in ("ecr", "ecr-public"):
        names = [a.qualified for a in catalogue().values() if a.service == service]
        if names and all(any(action_matches(p, n) for p in listed) for n in names):
            found.append(service)
    return found


# --- repository names --------------------------------------------------------------------------

NAME_PATTERN = r"(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*"
"""botocore's RepositoryName pattern (ecr service-2.json)."""
NAME_MIN, NAME_MAX = 2, 256
_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"
_SEPARATORS = "._-"
ALPHABET = _ALNUM + _SEPARATORS + "/"

# The name grammar as a DFA: 0 = expects an alphanumeric (start, after `/`), 1 = inside an
# alphanumeric run (accepting), 2 = after a separator (expects an alphanumeric).
_START, _RUN, _AFTER_SEPARATOR = 0, 1, 2


def _name_step(state: int, char: str) -> int | None:
    if char in _ALNUM:
        return _RUN
    if state == _RUN and char in _SEPARATORS:
        return _AFTER_SEPARATOR
    if state == _RUN and char == "/":
        return _START
    return None


# A glob as tokens: ("star",) any run of characters, or a character class (chars, negated).
_Tok = tuple[str, frozenset[str], bool]
_STAR: _Tok = ("star", frozenset(), False)
_ANY_ONE: _Tok = ("set", frozenset(), True)
_VARIABLE = re.compile(r"\$\{([^}]*)\}")


def _literal(char: str) -> _Tok:
    return ("set", frozenset({char}), False)


def _iam_tokens(glob: str) -> tuple[_Tok, ...]:
    """IAM's Resource glob (`*`, `?`; nothing else special) as tokens; a policy variable is `*`
    (its value is the requester's), except the escapes `${*}`, `${?}`, `${$}`."""
    found: list[_Tok] = []
    position = 0

    def plain(text: str) -> None:
        found.extend(_STAR if c == "*" else _ANY_ONE if c == "?" else _literal(c) for c in text)

    for match in _VARIABLE.finditer(glob):
        plain(glob[position : match.start()])
        inner = match.group(1)
        found.append(_literal(inner) if inner in ("*", "?", "$") else _STAR)
        position = match.end()
    plain(glob[position:])
    return tuple(found)


_FN_TOKEN = re.compile(r"\[(!?)(\]?[^\]]*)\]|.", re.DOTALL)


def _fnmatch_tokens(glob: str) -> tuple[_Tok, ...]:
    """fnmatch's glob (`*`, `?`, `[...]`, `[!...]`) as tokens, classes over the name alphabet."""
    found: list[_Tok] = []
    for match in _FN_TOKEN.finditer(glob):
        text = match.group(0)
        if text == "*":
            found.append(_STAR)
        elif text == "?":
            found.append(_ANY_ONE)
        elif match.group(2) is not None:
            body = match.group(2)
            chars = frozenset(c for c in ALPHABET if _in_class(c, body))
            found.append(("set", chars, match.group(1) == "!"))
        else:
            found.append(_literal(text))
    return tuple(found)


def _in_class(char: str, body: str) -> bool:
    escaped = body.replace("\\", "\\\\").replace("^", "\\^").replace("[", "\\[")
    return re.fullmatch(f"[{escaped}]", char) is not None


def _closure(tokens: tuple[_Tok, ...], states: Iterable[int]) -> frozenset[int]:
    """States reachable by letting `*` match nothing."""
    found = set(states)
    stack = list(found)
    while stack:
        state = stack.pop()
        if state < len(tokens) and tokens[state][0] == "star" and state + 1 not in found:
            found.add(state + 1)
            stack.append(state + 1)
    return frozenset(found)


def _takes(token: _Tok, char: str) -> bool:
    return token[0] == "set" and (char in token[1]) != token[2]


def _glob_step(tokens: tuple[_Tok, ...], states: frozenset[int], char: str) -> frozenset[int]:
    moved = set()
    for state in states:
        if state >= len(tokens):
            continue
        if tokens[state][0] == "star":
            moved.add(state)
        elif _takes(tokens[state], char):
            moved.add(state + 1)
    return _closure(tokens, moved)


def _after_field(tokens: tuple[_Tok, ...], states: frozenset[int]) -> frozenset[int]:
    """The glob states after any run of characters without `:` (an ARN field of any value)."""
    reach = set(states)
    frontier = set(states)
    while frontier:
        following: set[int] = set()
        for state in frontier:
            if state < len(tokens) and tokens[state][0] == "set":
                token = tokens[state]
                # Some character other than `:` the token takes.
                if token[2] or any(c != ":" for c in token[1]):
                    following |= _closure(tokens, {state + 1})
        following -= reach
        reach |= following
        frontier = following
    return frozenset(reach)


def _prefix_states(tokens: tuple[_Tok, ...]) -> frozenset[int]:
    """The glob states after some registry prefix `arn:<p>:<service>:<r>:<a>:repository/`, the
    partition, region and account each any run of characters without `:` (more than
    ECR's, so the answer over-approximates)."""
    found: set[int] = set()
    for service in ("ecr", "ecr-public"):
        current = _closure(tokens, {0})
        for piece in ("arn:", None, f":{service}:", None, ":", None, ":repository/"):
            if piece is None:
                current = _after_field(tokens, current)
            else:
                for char in piece:
                    current = _glob_step(tokens, current, char)
        found |= current
    return frozenset(found)


_Config = tuple[int, frozenset[tuple[int, int]]]
MAX_CONFIGURATIONS = 100_000
"""Beyond this many product states the answer is the worst case ("every repository")."""


def _step_all(
    globs: list[tuple[_Tok, ...]], live: frozenset[tuple[int, int]], char: str
) -> frozenset[tuple[int, int]]:
    """One character for every live (glob, state) pair; globs that die drop out."""
    moved: set[tuple[int, int]] = set()
    for index, state in live:
        tokens = globs[index]
        if state >= len(tokens):
            continue
        if tokens[state][0] == "star":
            moved.add((index, state))
        elif _takes(tokens[state], char):
            moved.add((index, state + 1))
    return frozenset(
        (index, reached) for index, state in moved for reached in _closure(globs[index], {state})
    )


def _leaves_infinitely_many(globs: list[tuple[_Tok, ...]], start: list[frozenset[int]]) -> bool:
    """Whether infinitely many valid names match none of `globs` (each started in its `start`
    states). The product of the name grammar and the globs is a finite graph; infinitely many
    unmatched names exist iff a cycle can reach an unmatched accepted name. A graph too large to
    explore counts as covering every name (the worst case for a grant)."""
    live = frozenset((i, s) for i, states in enumerate(start) for s in states)
    first: _Config = (_START, live)
    edges: dict[_Config, set[_Config]] = {first: set()}
    stack = [first]
    while stack:
        if len(edges) > MAX_CONFIGURATIONS:
            return False
        config = stack.pop()
        state, pairs = config
        for char in ALPHABET:
            step = _name_step(state, char)
            if step is None:
                continue
            following = (step, _step_all(globs, pairs, char))
            edges[config].add(following)
            if following not in edges:
                edges[following] = set()
                stack.append(following)
    unmatched = {c for c in edges if c[0] == _RUN and not any(s == len(globs[i]) for i, s in c[1])}
    # Configurations from which an unmatched name is reachable.
    reverse: dict[_Config, set[_Config]] = {c: set() for c in edges}
    for config, targets in edges.items():
        for target in targets:
            reverse[target].add(config)
    leading = set(unmatched)
    stack = list(unmatched)
    while stack:
        for source in reverse[stack.pop()]:
            if source not in leading:
                leading.add(source)
                stack.append(source)
    return _has_cycle({c: edges[c] & leading for c in leading})


def _has_cycle(graph: dict[_Config, set[_Config]]) -> bool:
    """Whether a directed graph has a cycle (iterative depth-first search, three colours)."""
    colour = dict.fromkeys(graph, 0)
    for root in graph:
        if colour[root]:
            continue
        colour[root] = 1
        path = [(root, iter(graph[root]))]
        while path:
            node, children = path[-1]
            child = next(children, None)
            if child is None:
                colour[node] = 2
                path.pop()
            elif colour[child] == 1:
                return True
            elif colour[child] == 0:
                colour[child] = 1
                path.append((child, iter(graph[child])))
    return False


@functools.lru_cache(maxsize=1024)
def covers_every_repository(patterns: tuple[str, ...]) -> bool:
    """Whether a union of Resource patterns matches every repository of some registry: every
    valid name but at most finitely many short ones (`repository/????*` is every repository)."""
    globs = [_iam_tokens(p) for p in patterns]
    starts = [_prefix_states(g) for g in globs]
    live = [i for i, states in enumerate(starts) if states]
    return not _leaves_infinitely_many([globs[i] for i in live], [starts[i] for i in live])


@functools.lru_cache(maxsize=1024)
def name_globs_cover_every_name(globs: tuple[str, ...]) -> bool:
    """Whether fnmatch `globs` (exemptions' `repository`) match every valid repository name but
    at most finitely many."""
    tokens = [_fnmatch_tokens(g) for g in globs]
    return not _leaves_infinitely_many(tokens, [_closure(t, {0}) for t in tokens])
