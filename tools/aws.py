"""What every operational tool shares: AWS sessions and errors, output, and the exit-code contract.

- Region: `--region`, else AWS_REGION, else AWS_DEFAULT_REGION (boto3 itself reads only the last;
  GitHub's AWS action sets both, other runners often only AWS_REGION).
- Errors: a usage or AWS problem is a ToolError; `run` is every tool's one top-level handler: any
  failure becomes one line on stderr and exit 2 (never a traceback), a closed stdout (`| head -1`)
  ends quietly, and an unwritable job summary is a warning.
- Every client counts its API calls by operation (`Calls`), so benchmarks and tests can check that
  the calls per repository stay constant apart from pagination.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import math
import os
import re
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from components.lifecycle import RELEASE_TAG_PREFIX

EXIT_OK, EXIT_FOUND, EXIT_ERROR = 0, 1, 2
SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW")
"""The scan severities a threshold can name, worst first."""
REGION_NAME = re.compile(r"[a-z]{2}(?:-[a-z]+)+-[0-9]")


class ToolError(Exception):
    """A usage or AWS problem: exit 2 (or `exit`) with this one-line message."""

    def __init__(self, message: str, exit: int | None = None) -> None:
        super().__init__(message)
        self.exit = exit


def error_code(error: Exception) -> str:
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def one_line(text: object) -> str:
    return " ".join(str(text).split())


class Calls:
    """API calls made, by `service:Operation` (thread-safe)."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def record(self, model: Any, **_: Any) -> None:
        with self._lock:
            self.counts[f"{model.service_model.service_name}:{model.name}"] += 1

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def check_endpoints(environ: Mapping[str, str] = os.environ) -> None:
    """AWS_ENDPOINT_URL (and AWS_ENDPOINT_URL_<SERVICE>) must be http(s) URLs with a valid port:
    botocore would otherwise fail deep inside the first call."""
    for name, value in sorted(environ.items()):
        if name != "AWS_ENDPOINT_URL" and not name.startswith("AWS_ENDPOINT_URL_"):
            continue
        problem = ""
        try:
            url = urlsplit(value)
            url.port  # noqa: B018 - raises ValueError for a port outside 0-65535
        except ValueError as error:
            problem = str(error)
        else:
            if url.scheme not in ("http", "https") or not url.hostname:
                problem = "expected http(s)://host[:port]"
        if problem:
            raise ToolError(f"{name}={value!r} is not a usable endpoint URL: {problem}")


class Aws:
    """boto3 clients for one region, made once and shared by threads (clients are thread-safe).
    `session`: a boto3 session of that region with other credentials (an assumed role); `adaptive`:
    client-side rate limiting on throttling, for runs that call many accounts at once."""

    def __init__(
        self,
        region: str,
        calls: Calls | None = None,
        session: Any = None,
        adaptive: bool = False,
    ) -> None:
        import boto3
        from botocore.config import Config

        check_endpoints()
        self.region = region
        self.calls = calls or Calls()
        self._session = session or boto3.session.Session(region_name=region)
        # Standard retries back off on throttling, which a 1,000-repository audit will meet;
        # AWS_MAX_ATTEMPTS still wins, as it does for the AWS CLI.
        text = os.environ.get("AWS_MAX_ATTEMPTS", "8") or "8"
        if not text.isdigit() or not 1 <= int(text) <= 100:
            raise ToolError(f"AWS_MAX_ATTEMPTS={text!r}: expected a whole number from 1 to 100")
        attempts = int(text)
        self._config = Config(
            retries={"max_attempts": attempts, "mode": "adaptive" if adaptive else "standard"},
            max_pool_connections=32,
        )
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    def client(self, service: str) -> Any:
        with self._lock:
            if service not in self._clients:
                try:
                    client = self._session.client(service, config=self._config)
                except ValueError as error:  # botocore's "Invalid endpoint: ..."
                    raise ToolError(f"cannot create the {service} client: {error}") from None
                client.meta.events.register("before-call", self.calls.record)
                self._clients[service] = client
            return self._clients[service]


def regions(given: Sequence[str] | None) -> list[str]:
    """The regions to work in: `--region` values, else the environment's; ToolError if none."""
    found = (
        list(given or [])
        or [r for r in (os.environ.get("AWS_REGION"), os.environ.get("AWS_DEFAULT_REGION")) if r][
            :1
        ]
    )
    if not found:
        raise ToolError("no region: pass --region or set AWS_REGION")
    for region in found:
        if not REGION_NAME.fullmatch(region):
            raise ToolError(f"--region {region!r} is not an AWS region name such as ap-northeast-2")
    return list(dict.fromkeys(found))


def paginate(client: Any, operation: str, key: str, **kwargs: Any) -> Iterator[Any]:
    """Every item of `key` over all pages of `operation`."""
    for page in client.get_paginator(operation).paginate(**kwargs):
        yield from page.get(key, [])


def positive_seconds(text: str) -> float:
    """argparse type: a finite number > 0 (rejects nan, inf, 0, negatives)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be a finite number of seconds > 0")
    return value


def add_fail_on(parser: argparse.ArgumentParser, default: str, meaning: str) -> None:
    """`--fail-on`: a severity threshold, case-insensitive, its default shown in --help."""
    parser.add_argument(
        "--fail-on",
        type=str.upper,
        choices=SEVERITIES,
        default=default,
        metavar="SEVERITY",
        help=f"{meaning}: one of {', '.join(SEVERITIES)}, any case (default {default})",
    )


def at_or_above(threshold: str) -> tuple[str, ...]:
    """The severities that count at `threshold`: it and everything worse."""
    return SEVERITIES[: SEVERITIES.index(threshold) + 1]


def progress(message: str) -> None:
    # Progress is a courtesy: a closed stderr must not stop the work.
    with contextlib.suppress(OSError, ValueError):
        print(message, file=sys.stderr, flush=True)


def emit(text: str) -> None:
    """Prints the tool's result on stdout; a reader that went away (`| head -1`) is not an error:
    the rest of the output is dropped and the tool still ends with its verdict's exit code."""
    try:
        print(text, flush=True)
    except BrokenPipeError:
        _drop_stdout()


def _drop_stdout() -> None:
    # Python's advice for SIGPIPE: point stdout at devnull so the flush at exit cannot fail again.
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    finally:
        os.close(devnull)


def write_step_summary(markdown: str) -> None:
    """Appends to the GitHub job summary when running in Actions; a summary that cannot be written
    is a warning, never a reason to lose the verdict."""
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if not path:
        return
    try:
        with open(path, "a", encoding="utf-8") as summary:
            summary.write(markdown.rstrip("\n") + "\n")
    except OSError as error:
        progress(f"warning: GITHUB_STEP_SUMMARY {path}: {error.strerror or error}: not written")


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain-text table for people."""
    cells = [[one_line(c) for c in row] for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in cells)]) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    return "\n".join(line.rstrip() for line in lines)


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    def cell(value: object) -> str:
        return one_line(value).replace("|", "\\|")

    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def run(tool: str, body: Callable[[], int]) -> int:
    """Every tool's top-level handler: runs its body and maps every failure to one line on stderr
    and exit 2 (a ToolError may name another documented code: quarantine's "changed, then
    failed"). A closed stdout ends quietly."""
    from botocore.exceptions import BotoCoreError, ClientError

    code = EXIT_ERROR
    try:
        return body()
    except ToolError as error:
        message, code = str(error), EXIT_ERROR if error.exit is None else error.exit
    except ClientError as error:
        message = f"AWS error {error_code(error)}: {error}"
    except BotoCoreError as error:
        message = f"AWS error: {error}"
    except BrokenPipeError:
        _drop_stdout()
        return code
    except KeyboardInterrupt:
        message = "interrupted"
    except RecursionError:
        message = "input nested too deeply"
    except Exception as error:  # the promise is one line, never a traceback
        message = f"unexpected error ({type(error).__name__}): {error}"
    with contextlib.suppress(OSError, ValueError):
        print(f"{tool}: {one_line(message)}", file=sys.stderr, flush=True)
    return code


# --- image details --------------------------------------------------------------------------------


def pushed_at(image: Mapping[str, Any]) -> datetime.datetime:
    """An `imageDetails` entry's push time, timezone-aware (boto3 gives datetimes)."""
    pushed = image.get("imagePushedAt")
    if isinstance(pushed, datetime.datetime):
        return pushed if pushed.tzinfo else pushed.replace(tzinfo=datetime.timezone.utc)
    return datetime.datetime.min.replace(tzinfo=datetime.timezone.utc)


def is_release(image: Mapping[str, Any]) -> bool:
    """A release image: one of its tags starts with `v` (what the lifecycle policy keeps)."""
    return any(t.startswith(RELEASE_TAG_PREFIX) for t in image.get("imageTags") or [])


# A release tag's version: v1, v1.2, v1.2.3, with an optional -pre-release and +build (semver).
_VERSION = re.compile(r"v(\d{1,9}(?:\.\d{1,9}){0,2})(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?")


def version(tag: str) -> tuple[tuple[int, int, int], bool] | None:
    """`v1.2.3` -> ((1, 2, 3), pre-release?); None for a tag that is not a version."""
    match = _VERSION.fullmatch(tag)
    if match is None:
        return None
    numbers = [int(n) for n in match[1].split(".")] + [0, 0]
    return (numbers[0], numbers[1], numbers[2]), match[2] is not None


def image_version(image: Mapping[str, Any]) -> tuple[int, int, int] | None:
    """The highest release version among an image's tags (pre-releases count as their version)."""
    found = [v for t in image.get("imageTags") or [] if (v := version(t))]
    return max(v for v, _ in found) if found else None


def newest_release(images: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The newest release image: the last pushed, and among images pushed at the same time (ECR
    gives whole seconds in some views) the highest version."""
    releases = [i for i in images if is_release(i)]
    if not releases:
        return None
    return max(releases, key=lambda i: (pushed_at(i), image_version(i) or (0, 0, 0)))


# --- image references -----------------------------------------------------------------------------

_IMAGE = re.compile(
    r"(?:(?P<account>[0-9]{12})\.dkr\.ecr(?:-fips)?\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/)?"
    r"(?P<repository>[a-z0-9][a-z0-9._/-]*?)"
    r"(?::(?P<tag>[A-Za-z0-9_][A-Za-z0-9._-]{0,127}))?"
    r"(?:@(?P<digest>sha256:[0-9a-f]{64}))?"
)


def parse_image(reference: str) -> Mapping[str, str | None] | None:
    """`repo:tag`, `repo@sha256:...` or a full ECR URI -> its parts (None when it is none of
    these, e.g. an image of another registry)."""
    match = _IMAGE.fullmatch(reference.strip())
    if match is None or (match["tag"] is None and match["digest"] is None):
        return None
    return match.groupdict()
