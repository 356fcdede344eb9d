"""CI vulnerability gate: fail the pipeline when an image's ECR scan has findings at or above a
severity (the seed's "CI/CD에서 취약점 검증", as a tool).

    python -m tools.scan_gate --repository fileflow --tag v1.2.3 [--fail-on HIGH] [--json]

Uses boto3 with the standard AWS environment (credentials, AWS_REGION, AWS_ENDPOINT_URL). Starts a
scan when the image has none, waits for it (progress on stderr), prints the severity counts.
Exit status: 0 nothing at or above --fail-on; 1 something is; 2 usage or lookup error (missing
repository, image or scan, scanning unavailable, timeout), with a one-line message.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL", "UNDEFINED")
GATE_SEVERITIES = SEVERITIES[:4]
DONE = ("COMPLETE", "ACTIVE")  # ACTIVE: enhanced (Inspector) continuous scanning has results
UNUSABLE = {
    "FAILED": "the scan failed",
    "UNSUPPORTED_IMAGE": "the image type is not supported by scanning",
    "FINDINGS_UNAVAILABLE": "findings are unavailable (scan eligibility expired or image too old)",
    "SCAN_ELIGIBILITY_EXPIRED": "the image is no longer eligible for scanning",
}
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")


class GateError(Exception):
    """A usage or lookup problem: exit 2 with this one-line message."""


@dataclass(frozen=True)
class Result:
    repository: str
    image: dict[str, str]
    status: str
    counts: dict[str, int]
    fail_on: str

    @property
    def failed(self) -> bool:
        blocking = SEVERITIES[: SEVERITIES.index(self.fail_on) + 1]
        return any(self.counts.get(s, 0) > 0 for s in blocking)

    def as_json(self) -> str:
        return json.dumps(
            {
                "repository": self.repository,
                "imageId": self.image,
                "status": self.status,
                "counts": self.counts,
                "failOn": self.fail_on,
                "failed": self.failed,
            },
            sort_keys=True,
        )

    def as_table(self) -> str:
        name = self.image.get("imageTag") or self.image.get("imageDigest", "")
        lines = [f"Scan findings for {self.repository}:{name}", f"{'severity':<14}{'count':>6}"]
        lines += [f"{s:<14}{self.counts.get(s, 0):>6}" for s in SEVERITIES]
        verdict = "FAIL" if self.failed else "PASS"
        lines.append(f"gate: fail on {self.fail_on} or worse -> {verdict}")
        return "\n".join(lines)


def _code(error: Exception) -> str:
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def scan(
    client: Any,
    repository: str,
    image: dict[str, str],
    fail_on: str,
    timeout: float,
    poll: float = 5.0,
    progress: Callable[[str], None] = lambda _: None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Result:
    """Scan results for one image, starting a scan and waiting for it when there is none."""
    from botocore.exceptions import ClientError

    label = f"{repository}:{image.get('imageTag') or image.get('imageDigest')}"
    try:
        client.describe_images(repositoryName=repository, imageIds=[image])
    except ClientError as error:
        if _code(error) == "RepositoryNotFoundException":
            raise GateError(f"repository {repository} not found") from None
        if _code(error) == "ImageNotFoundException":
            raise GateError(f"image {label} not found") from None
        raise

    deadline = clock() + timeout
    started = False
    while True:
        try:
            response = client.describe_image_scan_findings(repositoryName=repository, imageId=image)
        except ClientError as error:
            if _code(error) != "ScanNotFoundException" or started:
                raise
            progress(f"no scan for {label}: starting one")
            try:
                client.start_image_scan(repositoryName=repository, imageId=image)
            except ClientError as start_error:
                raise GateError(
                    f"cannot start a scan of {label}: {_code(start_error)} "
                    "(is scanning enabled for this registry, and has the image not been scanned "
                    "in the last 24 hours?)"
                ) from None
            started = True
            continue
        status = response.get("imageScanStatus", {}).get("status", "")
        if status in DONE:
            counts = response.get("imageScanFindings", {}).get("findingSeverityCounts", {})
            return Result(
                repository, image, status, {s: int(counts.get(s, 0)) for s in SEVERITIES}, fail_on
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


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tools.scan_gate",
        description="Fail when an ECR image scan has findings at or above a severity.",
    )
    parser.add_argument("--repository", required=True, help="ECR repository name")
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--tag", help="image tag, e.g. v1.2.3")
    which.add_argument("--digest", help="image digest, sha256:<64 hex>")
    parser.add_argument("--fail-on", choices=GATE_SEVERITIES, default="CRITICAL")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds to wait (600)")
    parser.add_argument("--poll", type=float, default=5.0, help="seconds between checks (5)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    if args.digest is not None and not _DIGEST.fullmatch(args.digest):
        parser.error(f"argument --digest: {args.digest!r} is not sha256:<64 hex digits>")
    if args.timeout < 0 or args.poll <= 0:
        parser.error("--timeout must be >= 0 and --poll > 0")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = _arguments(argv)
    image = {"imageTag": args.tag} if args.tag else {"imageDigest": args.digest}
    try:
        import boto3
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            client = boto3.client("ecr")
            result = scan(
                client,
                args.repository,
                image,
                args.fail_on,
                args.timeout,
                args.poll,
                progress=lambda message: print(message, file=sys.stderr),
            )
        except ClientError as error:
            raise GateError(f"AWS error {_code(error)}: {error}") from None
        except BotoCoreError as error:
            raise GateError(f"AWS error: {error}") from None
    except GateError as error:
        print(f"scan_gate: {error}", file=sys.stderr)
        return 2
    print(result.as_json() if args.json else result.as_table())
    return 1 if result.failed else 0


if __name__ == "__main__":
    sys.exit(main())
