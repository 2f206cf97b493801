"""Polling: what webhooks miss is found by asking the services (DESIGN §2.1)."""
