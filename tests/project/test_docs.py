"""The docs hang together: every relative link and `#anchor` between README.md and docs/*.md
resolves (anchors as GitHub makes them from headings), and every page of docs/ is reachable from
the README."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

# The checkout's root, wherever this file sits under tests/.
ROOT = next(p for p in Path(__file__).resolve().parents if (p / "pyproject.toml").exists())

FENCE = re.compile(r"^\s*(```|~~~)")
HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
CODE_SPAN = re.compile(r"`[^`]+`")
# [text](target) and ![alt](target), with an optional "title"; the text may hold code spans and
# run over a line break.
LINK = re.compile(r"\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)  # https:, mailto:, ...


def pages(root: Path) -> list[Path]:
    return [root / "README.md", *sorted((root / "docs").glob("*.md"))]


def _prose(text: str) -> list[str]:
    """The lines outside fenced code blocks (code is shown, not rendered: no links, no headings)."""
    lines, fenced = [], False
    for line in text.splitlines():
        if FENCE.match(line):
            fenced = not fenced
        elif not fenced:
            lines.append(line)
    return lines


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: its text (link targets and backticks dropped), lower-cased,
    every character but letters, digits, marks, spaces, `-` and `_` removed, spaces to `-`."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading).replace("`", "").strip().lower()
    kept = "".join(c for c in text if c in " -_" or unicodedata.category(c)[0] in "LMN")
    return kept.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every anchor a page has; a repeated heading gets `-1`, `-2`, ... as on GitHub."""
    found: set[str] = set()
    seen: dict[str, int] = {}
    for line in _prose(path.read_text()):
        match = HEADING.match(line)
        if not match:
            continue
        base = slug(match.group(2))
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def links(path: Path) -> list[str]:
    """The targets of a page's links (not those shown inside code)."""
    return LINK.findall(CODE_SPAN.sub("", "\n".join(_prose(path.read_text()))))


def _resolve(page: Path, target: str) -> tuple[Path, str]:
    file, _, anchor = target.partition("#")
    return (page.resolve() if not file else (page.parent / file).resolve()), anchor


def broken(root: Path) -> list[str]:
    """`<page>: <target>: <why>` for each relative link whose file or anchor does not exist."""
    root = root.resolve()
    problems = []
    for page in pages(root):
        name = page.relative_to(root).as_posix()
        for target in links(page):
            if EXTERNAL.match(target):
                continue
            path, anchor = _resolve(page, target)
            if not path.is_relative_to(root) or not path.exists():
                problems.append(f"{name}: {target}: no such file")
            elif anchor and path.suffix == ".md" and anchor not in anchors(path):
                problems.append(f"{name}: {target}: no heading makes #{anchor}")
    return problems


def unreachable(root: Path) -> list[str]:
    """The pages of docs/ that no chain of links from README.md leads to."""
    root = root.resolve()
    start = root / "README.md"
    seen, queue = {start}, [start]
    while queue:
        page = queue.pop()
        for target in links(page):
            if EXTERNAL.match(target):
                continue
            path, _ = _resolve(page, target)
            if path.suffix == ".md" and path.exists() and path not in seen:
                seen.add(path)
                queue.append(path)
    return [p.relative_to(root).as_posix() for p in pages(root) if p not in seen]


def test_every_link_and_anchor_between_the_pages_resolves():
    assert broken(ROOT) == []


def test_every_docs_page_is_reachable_from_the_readme():
    assert (ROOT / "docs").is_dir()
    assert unreachable(ROOT) == []


def test_the_readme_links_the_pages_it_is_the_front_door_to():
    linked = {t.partition("#")[0] for t in links(ROOT / "README.md")}
    assert {"docs/configuration.md", "docs/policy-pack.md", "docs/architecture.md"} <= linked


@pytest.mark.parametrize(
    ("heading", "anchor"),
    [
        ("Live audit (운영 중 주기적 점검)", "live-audit-운영-중-주기적-점검"),
        ("Policy pack (`policy/`)", "policy-pack-policy"),
        ("Local stack (no AWS account)", "local-stack-no-aws-account"),
        ("What the pack's rules *guarantee*?", "what-the-packs-rules-guarantee"),
        ("See [signing](signing.md) first", "see-signing-first"),
        ("snake_case and kebab-case", "snake_case-and-kebab-case"),
    ],
)
def test_anchors_follow_githubs_rules(heading, anchor):
    assert slug(heading) == anchor


@pytest.fixture
def site(tmp_path):
    """A README and two pages, every link of which resolves."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "README.md").write_text(
        "# Front\n\nSee [a](docs/a.md), [its setup](docs/a.md#setup-1) and [here](#front).\n"
    )
    (tmp_path / "docs" / "a.md").write_text(
        "# A\n\n## Setup\n\n## Setup\n\n[b](b.md#b-page), [home](../README.md), "
        "[code](../pyproject.toml), [AWS](https://aws.amazon.com/ecr/)\n"
    )
    (tmp_path / "docs" / "b.md").write_text("# B page\n\n```bash\n# not a heading\n```\n")
    return tmp_path


def test_a_site_whose_links_resolve_passes(site):
    assert broken(site) == []
    assert unreachable(site) == []


@pytest.mark.parametrize(
    ("link", "problem"),
    [
        ("[gone](docs/c.md)", "README.md: docs/c.md: no such file"),
        ("[typo](docs/a.md#set-up)", "README.md: docs/a.md#set-up: no heading makes #set-up"),
        ("[third](docs/a.md#setup-2)", "README.md: docs/a.md#setup-2: no heading makes #setup-2"),
        ("[self](#nowhere)", "README.md: #nowhere: no heading makes #nowhere"),
        ("[code](docs/b.md#not-a-heading)", "README.md: docs/b.md#not-a-heading: no heading"),
        ("[out](../elsewhere.md)", "README.md: ../elsewhere.md: no such file"),
        ("[over a\nline `break`](docs/a.md#nope)", "README.md: docs/a.md#nope: no heading"),
    ],
)
def test_a_broken_link_or_anchor_is_caught(site, link, problem):
    readme = site / "README.md"
    readme.write_text(readme.read_text() + f"\nAnd {link}.\n")
    (found,) = broken(site)
    assert found.startswith(problem)


def test_links_shown_as_code_are_not_links(site):
    readme = site / "README.md"
    readme.write_text(readme.read_text() + "\n`[x](missing.md)`\n\n```md\n[y](missing.md)\n```\n")
    assert broken(site) == []


def test_a_page_nothing_leads_to_is_caught(site):
    (site / "docs" / "orphan.md").write_text("# Orphan\n\n[a](a.md)\n")
    assert unreachable(site) == ["docs/orphan.md"]
    # A page reached only through another page counts: b.md is linked from a.md alone.
    assert "docs/b.md" not in unreachable(site)
