"""Benchmarks that need Home Assistant (Python 3.14, .venv): the integration's own costs."""
