"""The live audit (`python -m tools.audit`), by concern.

- command: the arguments and `main`, composing a single-account run and an organisation run;
- checks/: the live checks, one module per concern (each check's metadata above its function),
  run region by region, repository by repository, then the registry's own settings;
- pack: the policy config as the pack takes it, and its exemptions applied to a rule's problems;
- reads: what the audit reads from AWS, and how it becomes the properties the pack judges;
- report: the findings and how they are shown;
- org, targets: many accounts and regions, each entered through a role;
- security_hub: the findings in AWS Security Hub.
"""
