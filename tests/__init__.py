"""Tests of the Media Request Tracker integration."""
