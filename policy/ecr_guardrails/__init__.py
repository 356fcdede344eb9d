"""The `ecr-guardrails` rules and CrossGuard policies.

A package so that the pack (policy/__main__.py, run from inside policy/ by the Pulumi CLI) and the
live audit (`python -m tools.audit`, which imports `policy.ecr_guardrails`) use one copy of every
rule; modules import each other relatively, so policy/ stays publishable on its own.
"""
