"""The policy pack: its rules, config and policies, run as the Pulumi CLI runs them."""
