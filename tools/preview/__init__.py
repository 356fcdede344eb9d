"""The offline plan (`python -m tools.plan`) and the harnesses it runs the program and the pack
with, which the tests and benchmarks use too.

- plan: the command; result: what a plan found and how it is shown; answers: the reads answered;
- mock_engine: the program under Pulumi's mock runtime, recording what it registers;
- pack_runner: the policy pack as the Pulumi CLI runs it, over gRPC;
- conformance (and api_calls): every registered input against the API model of its call;
- stack_file: a stack's config as the CLI hands it to the program.
"""
