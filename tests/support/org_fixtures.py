"""An AWS organisation in the emulator: member accounts made through Organizations, and clients
that act inside them (moto: AssumeRole into account X gives credentials whose resources live in X)."""

from __future__ import annotations

from typing import Any

import boto3

from tests.support.aws_fixtures import ACCOUNT, client

ROLE = "EcrAudit"


def organization(endpoint: str, names: list[str]) -> dict[str, str]:
    """Creates the organisation (management: moto's default account) and one member account
    per name; returns name -> account id, the management account as "management"."""
    org = client(endpoint, "organizations")
    org.create_organization(FeatureSet="ALL")
    accounts = {"management": ACCOUNT}
    for name in names:
        status = org.create_account(AccountName=name, Email=f"{name}@example.com")
        accounts[name] = status["CreateAccountStatus"]["AccountId"]
    return accounts


def member_client(endpoint: str, account: str, service: str, region: str) -> Any:
    """A client acting in `account` (through an assumed role, as the audit enters it)."""
    found = client(endpoint, "sts").assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole",
        RoleSessionName="fixture",
    )["Credentials"]
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=found["AccessKeyId"],
        aws_secret_access_key=found["SecretAccessKey"],
        aws_session_token=found["SessionToken"],
    )


def member_repository(
    endpoint: str, account: str, region: str, name: str, scan_on_push: bool = True
) -> None:
    """A repository made by hand (no Component tag), AES256, with or without scan on push."""
    ecr = member_client(endpoint, account, "ecr", region)
    ecr.create_repository(
        repositoryName=name, imageScanningConfiguration={"scanOnPush": scan_on_push}
    )
