"""Fuzzing entry points (not collected by pytest): python -m tests.fuzz.fuzz_decoders."""
