"""Pure encoders and decoders: bytes in, values out, and back. No state, no I/O."""
