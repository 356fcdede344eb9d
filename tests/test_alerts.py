from components.alerts import scan_finding_pattern, topic_policy


def test_critical_pattern_matches_completed_scans_of_our_repositories():
    pattern = scan_finding_pattern(["web", "api"], "CRITICAL")
    assert pattern["source"] == ["aws.ecr"]
    assert pattern["detail-type"] == ["ECR Image Scan"]
    detail = pattern["detail"]
    assert detail["repository-name"] == ["api", "web"]
    assert detail["scan-status"] == ["COMPLETE"]
    assert detail["$or"] == [{"finding-severity-counts": {"CRITICAL": [{"numeric": [">", 0]}]}}]


def test_high_pattern_also_matches_critical():
    severities = [
        next(iter(o["finding-severity-counts"]))
        for o in scan_finding_pattern(["a"], "HIGH")["detail"]["$or"]
    ]
    assert severities == ["CRITICAL", "HIGH"]


def test_topic_policy_lets_only_this_accounts_events_and_alarms_publish():
    document = topic_policy("arn:aws:sns:r:123456789012:t", "123456789012")
    principals = [s["Principal"]["Service"] for s in document["Statement"]]
    assert principals == ["events.amazonaws.com", "cloudwatch.amazonaws.com"]
    for statement in document["Statement"]:
        assert statement["Action"] == "sns:Publish"
        assert statement["Resource"] == "arn:aws:sns:r:123456789012:t"
        assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}
