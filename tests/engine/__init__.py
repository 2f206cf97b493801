"""Tests of the lifecycle engine (no Home Assistant needed)."""
