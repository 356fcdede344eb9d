"""Which container images the account runs: ECS task definitions and tasks, Lambda functions, and
references listed in a file (EKS and anything else). Read-only, paginated, bounded concurrency."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tools.aws import Aws
from tools.cli import ToolError, progress
from tools.images import ImageReferenceError, parse_image
from tools.inputs import read_text

if TYPE_CHECKING:
    from mypy_boto3_ecr.type_defs import ImageDetailTypeDef

WORKERS = 8


@dataclass(frozen=True)
class Use:
    """An image reference and who uses it."""

    repository: str
    tag: str | None
    digest: str | None
    account: str | None
    region: str | None
    user: str
    """e.g. `ECS task definition svc:3`, `Lambda function api`, `in-use.txt:4`."""


def _use(reference: str, user: str, where: str | None = None) -> Use | None:
    """The reference as a Use; None for another registry's image. A reference to an ECR registry
    that cannot be parsed is an error naming who holds it: a skip would hide an image in use."""
    try:
        parts = parse_image(reference)
    except ImageReferenceError as error:
        raise ToolError(f"{where or user}: {error}") from None
    if parts is None:
        return None
    return Use(parts.repository, parts.tag, parts.digest, parts.account, parts.region, user)


def from_file(path: str) -> list[Use]:
    """One reference per line (`repo:tag`, `repo@sha256:...` or a full URI); `#` comments. A line
    naming an ECR registry (or none) that cannot be parsed is refused, naming the line; an image of
    another registry (Docker Hub, ECR Public) is none of this registry's, as in ECS and Lambda. A
    line that repeats an earlier one is reported (stderr, both lines named) and counted once."""
    lines = read_text(path, "--in-use").splitlines()
    found = []
    first: dict[str, int] = {}  # reference -> the line that lists it first
    for number, line in enumerate(lines, 1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        if text in first:
            # Lists built from many sources repeat an image; the first line names its users.
            progress(f"--in-use {path}:{number}: repeats line {first[text]} ({text}): counted once")
            continue
        first[text] = number
        use = _use(text, f"{Path(path).name}:{number}", f"--in-use {path}:{number}")
        if use is not None:
            found.append(use)
    return found


def task_definitions(aws: Aws) -> Iterator[Use]:
    """Images of every ACTIVE ECS task definition in the region."""
    ecs = aws.client("ecs")
    pages = ecs.get_paginator("list_task_definitions").paginate(status="ACTIVE")
    arns = [arn for page in pages for arn in page.get("taskDefinitionArns", [])]

    def describe(arn: str) -> list[Use]:
        definition = ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]
        user = f"ECS task definition {definition['family']}:{definition['revision']}"
        uses = (_use(c.get("image", ""), user) for c in definition.get("containerDefinitions", []))
        return [u for u in uses if u]

    with ThreadPoolExecutor(WORKERS) as pool:
        for found in pool.map(describe, arns):
            yield from found


def _ecs_tasks(aws: Aws, clusters: Sequence[str] | None) -> Iterator[Use]:
    ecs = aws.client("ecs")
    names = list(clusters or [])
    if not names:
        pages = ecs.get_paginator("list_clusters").paginate()
        names = [arn for page in pages for arn in page.get("clusterArns", [])]
    for cluster in names:
        running = ecs.get_paginator("list_tasks").paginate(cluster=cluster, desiredStatus="RUNNING")
        arns = [arn for page in running for arn in page.get("taskArns", [])]
        for start in range(0, len(arns), 100):  # DescribeTasks takes at most 100 tasks
            tasks = ecs.describe_tasks(cluster=cluster, tasks=arns[start : start + 100])["tasks"]
            for task in tasks:
                user = (
                    f"ECS task {task['taskArn'].rsplit('/', 1)[-1]} ({cluster.rsplit('/', 1)[-1]})"
                )
                for container in task.get("containers", []):
                    use = _use(container.get("image", ""), user)
                    if use and container.get("imageDigest"):
                        # What the task actually runs: the digest it resolved at launch.
                        use = Use(
                            use.repository,
                            use.tag,
                            container["imageDigest"],
                            use.account,
                            use.region,
                            user,
                        )
                    if use:
                        yield use


def lambda_functions(aws: Aws) -> Iterator[Use]:
    """Images of every Lambda function of package type Image in the region."""
    client = aws.client("lambda")
    names = [
        f["FunctionName"]
        for page in client.get_paginator("list_functions").paginate()
        for f in page.get("Functions", [])
        if f.get("PackageType") == "Image"
    ]

    def describe(name: str) -> list[Use]:
        code = client.get_function(FunctionName=name).get("Code", {})
        user = f"Lambda function {name}"
        references = (code.get("ResolvedImageUri"), code.get("ImageUri"))
        uses = (_use(reference or "", user) for reference in references)
        return [u for u in uses if u]

    with ThreadPoolExecutor(WORKERS) as pool:
        for found in pool.map(describe, names):
            yield from found


def from_account(aws: Aws, clusters: Sequence[str] | None = None) -> list[Use]:
    """Every image reference ECS (ACTIVE task definitions, running tasks) and Lambda use."""
    return [*task_definitions(aws), *_ecs_tasks(aws, clusters), *lambda_functions(aws)]


def users_by_digest(
    uses: Iterable[Use], repository: str, images: Iterable[ImageDetailTypeDef], registry: str | None
) -> dict[str, list[str]]:
    """digest -> who uses it, for one repository: references by digest, and by tag resolved to the
    digest the tag names now. References to another account's registry are not this one's."""
    images = list(images)
    by_tag = {t: i["imageDigest"] for i in images for t in i.get("imageTags") or []}
    users: dict[str, list[str]] = {}
    for use in uses:
        if use.repository != repository or (registry and use.account not in (None, registry)):
            continue
        digest = use.digest or by_tag.get(use.tag or "")
        if digest:
            users.setdefault(digest, [])
            if use.user not in users[digest]:
                users[digest].append(use.user)
    return users


def _here(use: Use, repository: str, registry: str | None, region: str | None) -> bool:
    """The reference names this repository of this registry (account and region, when known)."""
    return (
        use.repository == repository
        and (not registry or use.account in (None, registry))
        and (not region or use.region in (None, region))
    )


def unmatched(
    uses: Iterable[Use],
    repository: str,
    images: Iterable[ImageDetailTypeDef],
    registry: str | None,
    region: str | None,
) -> list[Use]:
    """References to this repository that name no image in it: a tag no image carries now, or a
    digest that is not there (already deleted, or the snapshot or region is not the one in use)."""
    images = list(images)
    digests = {i["imageDigest"] for i in images}
    tags = {t for i in images for t in i.get("imageTags") or []}
    return [
        use
        for use in uses
        if _here(use, repository, registry, region)
        and not (use.digest in digests if use.digest else use.tag in tags)
    ]


if __name__ == "__main__":
    from tools.cli import not_a_command

    raise SystemExit(not_a_command("tools.usage"))
