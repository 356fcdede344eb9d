"""The offline plan and the harnesses it runs the program and the pack with."""
