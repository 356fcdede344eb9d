"""The registry's CloudWatch dashboard body (pure): the seed's planned "리포지토리 메트릭 모니터링
대시보드" (repository metrics dashboard)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from components.alerts import ACCESS_DENIED_METRIC, ACCESS_DENIED_NAMESPACE

# CloudWatch allows at most 500 metrics per widget; smaller widgets stay readable.
REPOSITORIES_PER_WIDGET = 50
DAY_SECONDS = 86400


def dashboard_body(
    region: str, repositories: Sequence[str], access_denied: bool = False
) -> dict[str, Any]:
    """Daily pulls per repository (ECR's RepositoryPullCount), and with `access_denied` the
    AccessDenied count the alerts' metric filter publishes."""
    names = sorted(repositories)
    chunks = [
        names[i : i + REPOSITORIES_PER_WIDGET]
        for i in range(0, len(names), REPOSITORIES_PER_WIDGET)
    ]
    widgets: list[dict[str, Any]] = [
        _widget(
            f"Image pulls per day ({chunk[0]} .. {chunk[-1]})",
            region,
            [["AWS/ECR", "RepositoryPullCount", "RepositoryName", name] for name in chunk],
            DAY_SECONDS,
        )
        for chunk in chunks
    ]
    if access_denied:
        widgets.append(
            _widget(
                "ECR AccessDenied (5 min)",
                region,
                [[ACCESS_DENIED_NAMESPACE, ACCESS_DENIED_METRIC]],
                300,
            )
        )
    for index, widget in enumerate(widgets):
        widget |= {"x": 0, "y": 6 * index, "width": 24, "height": 6}
    return {"widgets": widgets}


def _widget(title: str, region: str, metrics: list[list[str]], period: int) -> dict[str, Any]:
    return {
        "type": "metric",
        "properties": {
            "title": title,
            "region": region,
            "metrics": metrics,
            "stat": "Sum",
            "period": period,
            "view": "timeSeries",
        },
    }
