"""Tests for the DLMS/COSEM integration, its library and its simulator."""
