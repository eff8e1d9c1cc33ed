"""Wire-level benchmarks of the DLMS client against the meter simulator (measurements, not
tests: run them by hand, see the README's "Performance" section)."""
