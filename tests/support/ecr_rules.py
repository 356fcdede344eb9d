"""ECR's own acceptance rules for documents, written down once for the tests that build them."""

from __future__ import annotations

from typing import Any


def lifecycle_problems(document: dict[str, Any]) -> list[str]:
    """What ECR's PutLifecyclePolicy would reject (Lifecycle policy parameters, ECR User Guide)."""
    found = []
    rules = document.get("rules") or []
    priorities = [r.get("rulePriority") for r in rules]
    if len(set(priorities)) != len(priorities):
        found.append(f"rulePriority values must be unique: {priorities}")
    for rule in rules:
        selection = rule["selection"]
        if not isinstance(rule["rulePriority"], int) or rule["rulePriority"] < 1:
            found.append("rulePriority must be a positive integer")
        if selection["tagStatus"] not in ("tagged", "untagged", "any"):
            found.append(f"bad tagStatus {selection['tagStatus']}")
        if "tagPrefixList" in selection and selection["tagStatus"] != "tagged":
            found.append("tagPrefixList is only allowed with tagStatus tagged")
        if selection["tagStatus"] == "tagged" and not (
            selection.get("tagPrefixList") or selection.get("tagPatternList")
        ):
            found.append("tagStatus tagged needs tagPrefixList or tagPatternList")
        if "tagPrefixList" in selection and "tagPatternList" in selection:
            found.append("tagPrefixList and tagPatternList cannot both be given")
        for pattern in selection.get("tagPatternList", []):
            if pattern.count("*") > 4:
                found.append(f"at most four wildcards per pattern: {pattern}")
        if selection["countType"] == "imageCountMoreThan":
            if "countUnit" in selection:
                found.append("countUnit is only allowed with the age count types")
            if not 1 <= selection["countNumber"] <= 10000:
                found.append("imageCountMoreThan countNumber must be 1..10000")
        elif selection["countType"] in ("sinceImagePushed", "sinceImagePulled"):
            if selection.get("countUnit") != "days":
                found.append(f"{selection['countType']} needs countUnit days")
            if selection["countNumber"] < 1:
                found.append(f"{selection['countType']} countNumber must be >= 1")
        else:
            found.append(f"bad countType {selection['countType']}")
        action = rule.get("action")
        if selection["countType"] == "sinceImagePulled":
            # Archiving goes by last pull; expiring by last pull is not offered.
            if action != {"type": "transition", "targetStorageClass": "archive"}:
                found.append("sinceImagePulled is only for transition to archive")
        elif action != {"type": "expire"}:
            found.append("action must be expire")
    any_rules = [r["rulePriority"] for r in rules if r["selection"]["tagStatus"] == "any"]
    if any_rules and max(any_rules) != max(priorities):
        found.append("a tagStatus any rule must have the highest rulePriority")
    return found


def statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    return list(document["Statement"])


def actions(statement: dict[str, Any]) -> list[str]:
    value = statement["Action"]
    return [value] if isinstance(value, str) else list(value)
