"""What the tests and the benchmarks share: a moto server on 127.0.0.1 and the AWS data it is
seeded with (accounts, repositories, images, an organisation), fixed data for runs of the program
and the pack, the policy harness the SDK's own tests use, and small models of EventBridge matching
and ECR's document rules. The product never imports it."""
