"""What tools.replication reports: per destination, the images ECR has not replicated there and
the backfill that copies them, as a table, --json (the shape tools/replication.py documents) and
Markdown."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from tools.cli import markdown_table, table

ENDED = ("COMPLETE", "FAILED", "STOPPED")
"""A backfill's terminal statuses (botocore ReplicationBackfillStatus; STOPPING is on its way)."""
RUNNING = ("PREPARING", "IN_PROGRESS", "STOPPING")
SHOWN = 20  # images listed per destination in the table (all of them in --json)


@dataclass(frozen=True)
class Destination:
    region: str
    registry_id: str

    @property
    def label(self) -> str:
        return f"{self.region}:{self.registry_id}"

    def as_api(self) -> dict[str, str]:
        return {"region": self.region, "registryId": self.registry_id}


@dataclass(frozen=True)
class Rule:
    """One replication rule: where it copies, and which repositories (PREFIX_MATCH filters; none:
    every repository)."""

    destinations: tuple[Destination, ...]
    prefixes: tuple[str, ...]

    def matches(self, repository: str) -> bool:
        return not self.prefixes or any(repository.startswith(p) for p in self.prefixes)


@dataclass(frozen=True)
class Pending:
    """An image not (yet) replicated to one destination."""

    repository: str
    digest: str
    tags: tuple[str, ...]
    image_status: str
    status: str
    """NONE (ECR has no status for that destination), IN_PROGRESS or FAILED."""
    failure_code: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "repository": self.repository,
            "imageDigest": self.digest,
            "imageTags": list(self.tags),
            "imageStatus": self.image_status,
            "status": self.status,
            "failureCode": self.failure_code,
        }


@dataclass
class Backfill:
    id: str
    status: str
    started: bool
    """True when this run started it (False: it was already running and was followed)."""
    failure_code: str | None = None
    progress: dict[str, Any] | None = None
    failed: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == "COMPLETE" and not self.failed

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "started": self.started,
            "failureCode": self.failure_code,
            "progress": self.progress,
            "failed": self.failed,
        }


@dataclass
class Health:
    """What one destination holds of what its rules copy."""

    destination: Destination
    repositories: int = 0
    images: int = 0
    pending: list[Pending] = field(default_factory=list)
    unreadable: int = 0
    """Images whose status could not be read (listed in the report's `unreadable`)."""
    backfill: Backfill | None = None

    @property
    def replicated(self) -> int:
        return self.images - len(self.pending) - self.unreadable

    @property
    def ok(self) -> bool:
        return self.backfill.ok if self.backfill is not None else not self.pending

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.destination.as_api(),
            "repositories": self.repositories,
            "images": self.images,
            "replicated": self.replicated,
            "notReplicated": [p.as_dict() for p in self.pending],
            "backfill": None if self.backfill is None else self.backfill.as_dict(),
        }


@dataclass
class Report:
    registry_id: str
    region: str
    destinations: list[Health]
    unreadable: list[dict[str, str]] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return bool(self.unreadable) or not all(h.ok for h in self.destinations)

    def as_json(self) -> str:
        return json.dumps(
            {
                "registryId": self.registry_id,
                "region": self.region,
                "failed": self.failed,
                "destinations": [h.as_dict() for h in self.destinations],
                "unreadable": self.unreadable,
            },
            sort_keys=True,
        )

    def _rows(self) -> list[list[object]]:
        rows: list[list[object]] = []
        for health in self.destinations:
            backfill = health.backfill
            rows.append(
                [
                    health.destination.label,
                    health.repositories,
                    health.images,
                    health.replicated,
                    len(health.pending),
                    "-" if backfill is None else f"{backfill.status} ({backfill.id})",
                ]
            )
        return rows

    HEADERS = ("destination", "repositories", "images", "replicated", "not replicated", "backfill")

    def as_table(self) -> str:
        lines = [
            f"Replication of registry {self.registry_id} ({self.region})",
            table(self.HEADERS, self._rows()),
        ]
        for health in self.destinations:
            if health.pending:
                lines.append(f"not replicated to {health.destination.label}:")
                lines += [
                    f"  {p.repository}@{p.digest} {','.join(p.tags) or '<untagged>'} "
                    f"{p.status}{' ' + p.failure_code if p.failure_code else ''}"
                    for p in health.pending[:SHOWN]
                ]
                if len(health.pending) > SHOWN:
                    lines.append(f"  ... and {len(health.pending) - SHOWN} more (all in --json)")
            if health.backfill is not None and health.backfill.failed:
                lines.append(f"backfill {health.backfill.id} could not copy:")
                lines += [
                    f"  {f['repository']}@{f.get('imageDigest') or f.get('imageTag')} "
                    f"{f.get('failureCode') or ''}".rstrip()
                    for f in health.backfill.failed[:SHOWN]
                ]
        for item in self.unreadable:
            lines.append(f"unreadable: {item['repository']}@{item['imageDigest']}: {item['error']}")
        lines.append("verdict: " + ("NOT REPLICATED" if self.failed else "all replicated"))
        return "\n".join(lines)

    def as_markdown(self) -> str:
        verdict = "some images are not replicated" if self.failed else "all replicated"
        return (
            f"## ECR replication ({self.registry_id}, {self.region}): {verdict}\n\n"
            + markdown_table(self.HEADERS, self._rows())
        )


if __name__ == "__main__":
    from tools.cli import not_a_command

    raise SystemExit(not_a_command("tools.replication_report"))
