"""Evaluation harness and benchmarks (kept out of the test command)."""
