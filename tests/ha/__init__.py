"""Home Assistant integration tests: a real Home Assistant, the real simulator over a real
127.0.0.1 socket, real serialx; nothing of ours is mocked."""
