from components.dashboard import REPOSITORIES_PER_WIDGET, dashboard_body


def test_one_pull_widget_per_fifty_repositories_stacked_vertically():
    names = [f"svc-{i:03d}" for i in range(REPOSITORIES_PER_WIDGET + 1)]
    widgets = dashboard_body("ap-northeast-2", names)["widgets"]
    assert [len(w["properties"]["metrics"]) for w in widgets] == [REPOSITORIES_PER_WIDGET, 1]
    assert [w["y"] for w in widgets] == [0, 6]
    assert widgets[1]["properties"]["metrics"] == [
        ["AWS/ECR", "RepositoryPullCount", "RepositoryName", "svc-050"]
    ]
    assert {w["properties"]["stat"] for w in widgets} == {"Sum"}


def test_access_denied_widget_only_when_asked():
    assert len(dashboard_body("r", ["a"])["widgets"]) == 1
    last = dashboard_body("r", ["a"], access_denied=True)["widgets"][-1]
    assert last["properties"]["metrics"] == [["ECR/Security", "ECRUnauthorizedAttempts"]]
    assert last["properties"]["period"] == 300
