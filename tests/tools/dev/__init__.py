"""Developer tooling: the generated config docs and the local stack."""
