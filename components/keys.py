"""The customer-managed KMS key, read from its SSM parameter and checked before anything uses it."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from components.settings import kms_key_arn_problem


def checked_key_arn(
    parameter: str,
    account_id: pulumi.Input[str],
    region: pulumi.Input[str],
    in_region: str | None = None,
) -> pulumi.Output[str]:
    """The key ARN the SSM `parameter` holds (in `in_region`, else the provider's region `region`).

    The repository's encryption is ForceNew: a value that is not the full ARN of a key in that
    region and account would plan to replace repositories. So the value is checked here, and
    every resource that uses it waits for the check: a bad value stops the run and registers
    nothing that depends on it.
    """

    def checked(values: list[str]) -> str:
        value, where, account = values
        problem = kms_key_arn_problem(parameter, value, where, account)
        if problem:
            raise pulumi.RunError(problem)
        return value

    # A key ARN is no secret, but pulumi-aws 7 answers with `value` marked secret, and the SDK then
    # marks the whole result secret (pulumi.runtime.invoke: one secret field makes the invoke's
    # Output secret), `insecure_value` included: the key ARN and every policy that names it would
    # show as [secret] in `pulumi preview --diff`. So: the non-secret twin, unsecreted.
    value = pulumi.Output.unsecret(
        aws.ssm.get_parameter_output(name=parameter, region=in_region).insecure_value
    )
    where = pulumi.Output.from_input(in_region) if in_region else pulumi.Output.from_input(region)
    return pulumi.Output.all(value, where, account_id).apply(checked)
