"""CI vulnerability gate: fail the pipeline when an image's ECR scan has findings at or above a
severity (the seed's "CI/CD에서 취약점 검증", as a tool).

    python -m tools.scan_gate --repository fileflow --tag v1.2.3 [--fail-on HIGH] [--json]

Uses boto3 with the standard AWS environment (credentials, AWS_REGION or AWS_DEFAULT_REGION, or
--region, AWS_ENDPOINT_URL). Starts a scan when the image has none, waits for it (progress on
stderr), prints the severity counts and the image's digest-pinned reference `<url>@sha256:...`, so a
deploy job pins exactly what was scanned (the seed's "Digest 고정"). When it fails, it says which
condition failed (findings at or above --fail-on, an image not signed) and lists the
findings that fail it (id, severity, package): the first 20 in the table, all of them in --json.

--require-signature tells signed, in progress, failed and unsigned apart: ECR managed signing's
DescribeImageSigningStatus first (waiting up to --signing-timeout while it is IN_PROGRESS; FAILED
with ECR's failure code and reason), then the referrers API, then the untagged manifests' `subject`
(client-side Notation signatures).
The image is looked up whatever its status (DescribeImages with imageStatus ANY): an ARCHIVED or
ACTIVATING image is found, its status is reported beside the scan (`imageStatus` in --json), and it
fails the gate, since a deployment of it cannot pull it until it is restored; ECR scans only ACTIVE
images, so one without a scan is not scanned (exit 2, saying so).
Exit status: 0 nothing at or above --fail-on; 1 something is (or, with --require-signature, the
image is not signed; or the image is not ACTIVE); 2 usage or lookup error (missing repository,
image or scan, scanning unavailable, timeout), with a one-line message; 130 interrupted.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tools.aws import IMAGE_STATUS_ANY, Aws, regions
from tools.cli import (
    COMPLETED,
    ToolError,
    add_fail_on,
    at_or_above,
    emit,
    error_code,
    parse,
    positive_seconds,
    progress,
    run,
    write_step_summary,
)
from tools.images import DIGEST, REPOSITORY, TAG, image_status, status_meaning
from tools.signing import Signing, signing_status

if TYPE_CHECKING:
    from mypy_boto3_ecr import ECRClient
    from mypy_boto3_ecr.literals import FindingSeverityType
    from mypy_boto3_ecr.type_defs import (
        DescribeImageScanFindingsResponseTypeDef,
        EnhancedImageScanFindingTypeDef,
        ImageIdentifierTypeDef,
        ImageScanFindingTypeDef,
    )

SEVERITIES: tuple[FindingSeverityType, ...] = (
    "CRITICAL",
    "HIGH",
    "MEDIUM",
    "LOW",
    "INFORMATIONAL",
    "UNDEFINED",
)
SHOWN = 20  # failing findings listed in the table (all of them in --json)
DONE = ("COMPLETE", "ACTIVE")  # ACTIVE: enhanced (Inspector) continuous scanning has results
UNUSABLE = {
    "FAILED": "the scan failed",
    "UNSUPPORTED_IMAGE": "the image type is not supported by scanning",
    "FINDINGS_UNAVAILABLE": "findings are unavailable (scan eligibility expired or image too old)",
    "SCAN_ELIGIBILITY_EXPIRED": "the image is no longer eligible for scanning",
}


class GateError(Exception):
    """A usage or lookup problem: exit 2 with this one-line message."""


@dataclass(frozen=True)
class Finding:
    """One scan finding: its id (CVE-...), severity and the package it is in."""

    id: str
    severity: str
    package: str

    @classmethod
    def basic(cls, found: ImageScanFindingTypeDef) -> Finding:
        attributes = {a.get("key"): a.get("value") for a in found.get("attributes") or []}
        package = " ".join(
            str(attributes[k]) for k in ("package_name", "package_version") if attributes.get(k)
        )
        return cls(str(found.get("name", "")), str(found.get("severity", "")), package)

    @classmethod
    def enhanced(cls, found: EnhancedImageScanFindingTypeDef) -> Finding:
        details = found.get("packageVulnerabilityDetails") or {}
        packages = ", ".join(
            " ".join(str(p[k]) for k in ("name", "version") if p.get(k))
            for p in details.get("vulnerablePackages") or []
        )
        ident = details.get("vulnerabilityId") or found.get("title") or found.get("findingArn")
        return cls(str(ident or ""), str(found.get("severity", "")), packages)


def findings_of(response: DescribeImageScanFindingsResponseTypeDef) -> list[Finding]:
    """The findings of one DescribeImageScanFindings page (basic and enhanced scanning)."""
    found = response.get("imageScanFindings", {})
    return [Finding.basic(f) for f in found.get("findings") or []] + [
        Finding.enhanced(f) for f in found.get("enhancedFindings") or []
    ]


@dataclass(frozen=True)
class Result:
    repository: str
    image: ImageIdentifierTypeDef
    status: str
    counts: dict[str, int]
    fail_on: str
    digest: str = ""
    reference: str = ""
    """`<repository url>@<digest>`: what a deployment should pin."""
    signing: Signing | None = None
    """The image's signing state; None when not asked (--require-signature)."""
    findings: tuple[Finding, ...] = ()
    """Every finding of the scan (all pages)."""
    image_status: str = "ACTIVE"
    """ACTIVE, ARCHIVED or ACTIVATING (DescribeImages with imageStatus ANY): a deployment of an
    image that is not ACTIVE fails to pull, whatever its scan says."""

    @property
    def failing(self) -> list[Finding]:
        """The findings at or above --fail-on, worst first."""
        blocking = at_or_above(self.fail_on)
        found = [f for f in self.findings if f.severity in blocking]
        return sorted(found, key=lambda f: (blocking.index(f.severity), f.id, f.package))

    @property
    def reasons(self) -> list[str]:
        """Which conditions failed, as sentences (none: the gate passes)."""
        reasons = []
        blocking = {s: self.counts[s] for s in at_or_above(self.fail_on) if self.counts.get(s)}
        if blocking:
            shown = ", ".join(f"{n} {s}" for s, n in blocking.items())
            reasons.append(f"severity: {shown} at or above {self.fail_on}")
        if self.image_status != "ACTIVE":
            reasons.append(f"image status: {status_meaning(self.image_status)}")
        problem = self.signing.problem if self.signing is not None else None
        if problem:
            reasons.append(f"signature: {problem} (required)")
        return reasons

    @property
    def failed(self) -> bool:
        return bool(self.reasons)

    def as_json(self) -> str:
        return json.dumps(
            {
                "repository": self.repository,
                "imageId": self.image,
                "status": self.status,
                "imageStatus": self.image_status,
                "counts": self.counts,
                "failOn": self.fail_on,
                "failed": self.failed,
                "digest": self.digest,
                "reference": self.reference,
                "signatures": None if self.signing is None else list(self.signing.signatures),
                "signing": None
                if self.signing is None
                else {"state": self.signing.state, "detail": self.signing.detail},
                "reasons": self.reasons,
                "failingFindings": [dataclasses.asdict(f) for f in self.failing],
            },
            sort_keys=True,
        )

    def as_table(self) -> str:
        name = self.image.get("imageTag") or self.image.get("imageDigest", "")
        lines = [f"Scan findings for {self.repository}:{name}", f"digest: {self.digest}"]
        lines += [f"pin:    {self.reference}", f"image:  {status_meaning(self.image_status)}"]
        lines.append(f"{'severity':<14}{'count':>6}")
        lines += [f"{s:<14}{self.counts.get(s, 0):>6}" for s in SEVERITIES]
        if self.signing is not None:
            shown = ", ".join(self.signing.signatures) or self.signing.detail
            state = self.signing.state.upper() if self.signing.problem else self.signing.state
            lines.append(f"signature: {state}" + (f" ({shown})" if shown else ""))
        failing = self.failing
        if failing:
            lines.append(f"findings at or above {self.fail_on} ({len(failing)}):")
            width = max(len(f.id) for f in failing[:SHOWN])
            lines += [f"  {f.id:<{width}}  {f.severity:<8}  {f.package}" for f in failing[:SHOWN]]
            if len(failing) > SHOWN:
                lines.append(f"  ... and {len(failing) - SHOWN} more (all of them in --json)")
        verdict = "FAIL" if self.failed else "PASS"
        conditions = f"fail on {self.fail_on} or worse"
        if self.signing is not None:
            conditions += ", or without a signature"
        lines.append(f"gate: {conditions} -> {verdict}")
        lines += [f"failed on {reason}" for reason in self.reasons]
        return "\n".join(lines)


def scan(
    client: ECRClient,
    repository: str,
    image: ImageIdentifierTypeDef,
    fail_on: str,
    timeout: float,
    poll: float = 5.0,
    progress: Callable[[str], None] = lambda _: None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Result:
    """Scan results for one image, starting a scan and waiting for it when there is none."""
    label = f"{repository}:{image.get('imageTag') or image.get('imageDigest')}"
    digest, url, status_now = _look_up(client, repository, image, label)
    COMPLETED.unit(f"found {label} ({digest}, {status_now})")
    deadline = clock() + timeout
    started = False
    while True:
        response = _scan_findings(client, repository, image, label, started, progress, status_now)
        if response is None:  # no scan yet: one was started
            started = True
            continue
        status = response.get("imageScanStatus", {}).get("status", "")
        if status in DONE:
            counts = response.get("imageScanFindings", {}).get("findingSeverityCounts", {})
            return Result(
                repository,
                image,
                status,
                {s: int(counts.get(s, 0)) for s in SEVERITIES},
                fail_on,
                digest,
                f"{url}@{digest}",
                findings=tuple(_all_findings(client, repository, image, response)),
                image_status=status_now,
            )
        if status in UNUSABLE:
            raise GateError(f"scan of {label} is {status}: {UNUSABLE[status]}")
        remaining = deadline - clock()
        if remaining <= 0:
            raise GateError(
                f"timed out after {timeout:g}s waiting for the scan of {label} ({status})"
            )
        progress(f"waiting for the scan of {label}: {status or 'unknown'}, {remaining:.0f}s left")
        sleep(min(poll, remaining))


def _look_up(
    client: ECRClient, repository: str, image: ImageIdentifierTypeDef, label: str
) -> tuple[str, str, str]:
    """(the image's digest, the repository's URL, its status); GateError when either does not
    exist. Archived and activating images too: without the status filter DescribeImages answers
    for ACTIVE images only, and an archived image would read as "not found"."""
    from botocore.exceptions import ClientError

    try:
        details = client.describe_images(
            repositoryName=repository, imageIds=[image], filter=IMAGE_STATUS_ANY
        )
        url = client.describe_repositories(repositoryNames=[repository])["repositories"][0][
            "repositoryUri"
        ]
    except ClientError as error:
        if error_code(error) == "RepositoryNotFoundException":
            raise GateError(f"repository {repository} not found") from None
        if error_code(error) == "ImageNotFoundException":
            raise GateError(f"image {label} not found") from None
        raise
    found = details["imageDetails"][0]
    try:
        status = image_status(found)
    except ValueError as error:
        raise GateError(f"{label}: {error}") from None
    return str(found["imageDigest"]), str(url), status


def _scan_findings(
    client: ECRClient,
    repository: str,
    image: ImageIdentifierTypeDef,
    label: str,
    started: bool,
    progress: Callable[[str], None],
    status: str = "ACTIVE",
) -> DescribeImageScanFindingsResponseTypeDef | None:
    """The first page of the image's scan findings; None after starting a scan it did not have
    (a second ScanNotFoundException, once one was started, is an error)."""
    from botocore.exceptions import ClientError

    try:
        return client.describe_image_scan_findings(repositoryName=repository, imageId=image)
    except ClientError as error:
        if error_code(error) != "ScanNotFoundException" or started:
            raise
        if status != "ACTIVE":  # ECR scans only ACTIVE images; an earlier scan would still count
            raise GateError(
                f"{label} is {status} and has no scan; ECR scans only ACTIVE images: restore it "
                "(UpdateImageStorageClass to STANDARD), then scan it"
            ) from None
    progress(f"no scan for {label}: starting one")
    try:
        client.start_image_scan(repositoryName=repository, imageId=image)
    except ClientError as start_error:
        raise GateError(
            f"cannot start a scan of {label}: {error_code(start_error)} "
            "(is scanning enabled for this registry, and has the image not been scanned "
            "in the last 24 hours?)"
        ) from None
    return None


def _all_findings(
    client: ECRClient,
    repository: str,
    image: ImageIdentifierTypeDef,
    first: DescribeImageScanFindingsResponseTypeDef,
) -> list[Finding]:
    """Every finding of a completed scan: the first page's, then the following pages' (findings
    come 100 to a page by default)."""
    findings = findings_of(first)
    token = first.get("nextToken")
    while token:
        response = client.describe_image_scan_findings(
            repositoryName=repository, imageId=image, nextToken=token
        )
        findings += findings_of(response)
        token = response.get("nextToken")
    return findings


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tools.scan_gate",
        description="Fail when an ECR image scan has findings at or above a severity; print the "
        "digest-pinned reference of the image scanned.",
        epilog="Exit status: 0 nothing at or above --fail-on; 1 something is (the failing "
        "findings and the failed condition are named), the image is ARCHIVED or ACTIVATING "
        "(not pullable), or it is unsigned with --require-signature; 2 usage or lookup error "
        "(one line on stderr); 130 interrupted (SIGINT/SIGTERM: what completed is said).",
    )
    parser.add_argument("--repository", required=True, help="ECR repository name")
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--tag", help="image tag, e.g. v1.2.3")
    which.add_argument("--digest", help="image digest, sha256:<64 hex>")
    add_fail_on(parser, "CRITICAL", "lowest finding severity that fails the gate")
    parser.add_argument(
        "--timeout", type=positive_seconds, default=600.0, help="seconds to wait for the scan (600)"
    )
    parser.add_argument(
        "--poll", type=positive_seconds, default=5.0, help="seconds between checks (5)"
    )
    parser.add_argument("--region", help="AWS region (default AWS_REGION, else AWS_DEFAULT_REGION)")
    parser.add_argument(
        "--require-signature",
        action="store_true",
        help="also fail (exit 1) when the image is not signed: ECR managed signing failed or "
        "is still in progress after --signing-timeout, or no Notation signature is beside it",
    )
    parser.add_argument(
        "--signing-timeout",
        type=positive_seconds,
        default=120.0,
        help="seconds to wait while ECR managed signing is in progress (120)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parse(parser, argv)
    if not REPOSITORY.fullmatch(args.repository):
        parser.error(f"argument --repository: {args.repository!r} is not an ECR repository name")
    if args.tag is not None and not TAG.fullmatch(args.tag):
        parser.error(f"argument --tag: {args.tag!r} is not an image tag")
    if args.digest is not None and not DIGEST.fullmatch(args.digest):
        parser.error(f"argument --digest: {args.digest!r} is not sha256:<64 hex digits>")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = _arguments(argv)
    image: ImageIdentifierTypeDef = (
        {"imageTag": args.tag} if args.tag else {"imageDigest": args.digest}
    )

    def body() -> int:
        (region,) = regions([args.region] if args.region else None)
        client = Aws(region).client("ecr")
        try:
            result = scan(
                client,
                args.repository,
                image,
                args.fail_on,
                args.timeout,
                args.poll,
                progress=progress,
            )
        except GateError as error:
            raise ToolError(str(error)) from None
        if args.require_signature:
            signing = signing_status(
                client,
                args.repository,
                result.digest,
                args.signing_timeout,
                args.poll,
                progress=progress,
            )
            result = dataclasses.replace(result, signing=signing)
        emit(result.as_json() if args.json else result.as_table())
        write_step_summary(f"## ECR scan gate\n\n```\n{result.as_table()}\n```")
        return 1 if result.failed else 0

    return run("scan_gate", body)


if __name__ == "__main__":
    sys.exit(main())
