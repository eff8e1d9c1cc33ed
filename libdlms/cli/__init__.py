"""The ``scripts/dlms`` command line (contract in the README)."""
