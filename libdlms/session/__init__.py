"""Sans-IO state machines: bytes and APDUs in, events and bytes out. No clocks, no I/O."""
