"""ECR registry: one EcrRepository per service in the stack config.

config -> validated settings -> one component per service -> stack outputs.
"""

import pulumi
import pulumi_aws as aws

from components.repository import EcrRepository, EcrRepositoryArgs
from components.settings import SettingsError, load_settings, stack_config

try:
    settings = load_settings(stack_config())
except SettingsError as error:
    # A clean message listing every problem, instead of a traceback, before anything is created.
    raise pulumi.RunError(str(error)) from None

# Read once per stack, however many services: one engine round trip each, not one per service.
kms_key_arn = aws.ssm.get_parameter_output(name=settings.kms_key_parameter).value
account_id = aws.get_caller_identity_output().account_id

repositories = {
    service.name: EcrRepository(
        service.name,
        EcrRepositoryArgs(
            repository=service,
            kms_key_arn=kms_key_arn,
            account_id=account_id,
            url_parameter_name=settings.url_parameter_name(service.name),
            tags=settings.tags(service.name),
            protect=settings.is_production,
        ),
    )
    for service in settings.services
}

pulumi.export(
    "repositories",
    {
        name: {
            "repositoryUrl": repo.repository_url,
            "repositoryArn": repo.repository_arn,
            "repositoryName": repo.repository_name,
            "registryId": repo.registry_id,
            "urlParameterName": repo.url_parameter_name,
        }
        for name, repo in repositories.items()
    },
)
