"""Building a registry in the emulator with boto3, for the tools' tests."""

from __future__ import annotations

import json
from typing import Any

import boto3

from tests.support.moto_server import REGION

ACCOUNT = "123456789012"  # moto's default account
GOVERNANCE = {
    "Owner": "team@example.com",
    "CostCenter": "eng",
    "Environment": "prod",
    "Lifecycle": "production",
    "DataClass": "internal",
    "Component": "container-registry",
}
LIFECYCLE = json.dumps(
    {
        "rules": [
            {
                "rulePriority": 1,
                "selection": {"tagStatus": "tagged", "tagPrefixList": ["v"],
                              "countType": "imageCountMoreThan", "countNumber": 30},
                "action": {"type": "expire"},
            }
        ]
    }
)  # fmt: skip
SAME_ACCOUNT_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "Same", "Effect": "Allow",
                       "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                       "Action": ["ecr:BatchGetImage", "ecr:PutImage"]}],
    }
)  # fmt: skip


def client(endpoint: str, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def manifest(seed: str) -> str:
    """A distinct image per seed (moto derives the digest from the layer digests)."""
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 7,
                       "digest": "sha256:" + (seed * 64)[:64]},
            "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                        "size": 1, "digest": "sha256:" + (seed * 64)[:64]}],
        }
    )  # fmt: skip


def kms_key(endpoint: str, rotation: bool = True) -> str:
    kms = client(endpoint, "kms")
    arn = kms.create_key(Description="ecr")["KeyMetadata"]["Arn"]
    if rotation:
        kms.enable_key_rotation(KeyId=arn)
    return str(arn)


def repository(
    endpoint: str,
    name: str,
    key: str | None,
    *,
    tags: dict[str, str] | None = None,
    scan_on_push: bool = True,
    mutability: str = "IMMUTABLE",
    lifecycle: str | None = LIFECYCLE,
    policy: str | None = SAME_ACCOUNT_POLICY,
) -> None:
    ecr = client(endpoint, "ecr")
    encryption = {"encryptionType": "KMS", "kmsKey": key} if key else {"encryptionType": "AES256"}
    ecr.create_repository(
        repositoryName=name,
        encryptionConfiguration=encryption,
        imageScanningConfiguration={"scanOnPush": scan_on_push},
        imageTagMutability=mutability,
        tags=[
            {"Key": k, "Value": v}
            for k, v in (GOVERNANCE | {"Service": name} if tags is None else tags).items()
        ],
    )
    if lifecycle:
        ecr.put_lifecycle_policy(repositoryName=name, lifecyclePolicyText=lifecycle)
    if policy:
        ecr.set_repository_policy(repositoryName=name, policyText=policy)


def push(endpoint: str, name: str, tag: str | None, seed: str, scan: bool = True) -> str:
    ecr = client(endpoint, "ecr")
    kwargs = {"imageTag": tag} if tag else {}
    image = ecr.put_image(repositoryName=name, imageManifest=manifest(seed), **kwargs)["image"]
    digest = str(image["imageId"]["imageDigest"])
    if scan:
        ecr.start_image_scan(repositoryName=name, imageId={"imageDigest": digest})
    return digest


def task_definition(endpoint: str, image: str) -> None:
    client(endpoint, "ecs").register_task_definition(
        family="svc", containerDefinitions=[{"name": "app", "image": image, "memory": 128}]
    )


def scan_result(endpoint: str, name: str, digest: str, counts: dict[str, int]) -> None:
    """What moto reports for the next scan of this image (default: one HIGH finding)."""
    import urllib.request

    result = {
        "repositoryName": name,
        "imageId": {"imageDigest": digest},
        "imageScanStatus": {"status": "COMPLETE", "description": "done"},
        "imageScanFindings": {"findings": [], "findingSeverityCounts": counts},
    }
    request = urllib.request.Request(
        f"{endpoint}/moto-api/static/ecr/scan-finding-results",
        data=json.dumps({"results": [result], "region": REGION}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    urllib.request.urlopen(request).read()


NOTARY = "application/vnd.cncf.notary.signature"


def push_signature(ecr: Any, digest: str) -> str:
    """What `notation sign` stores: an OCI artifact whose subject is the image."""
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "artifactType": NOTARY,
        "config": {
            "mediaType": "application/vnd.oci.empty.v1+json",
            "digest": "sha256:" + "4" * 64,
            "size": 2,
        },
        "layers": [
            {"mediaType": "application/jose+json", "digest": "sha256:" + "5" * 64, "size": 10}
        ],
        "subject": {
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "digest": digest,
            "size": 100,
        },
    }
    put = ecr.put_image(repositoryName="fileflow", imageManifest=json.dumps(manifest),
                        imageManifestMediaType="application/vnd.oci.image.manifest.v1+json")  # fmt: skip
    return str(put["image"]["imageId"]["imageDigest"])
