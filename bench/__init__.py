"""Benchmarks with recorded results (bench/RESULTS.md); not part of the test suite."""
