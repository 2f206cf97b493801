"""Upstream services: typed payload parsing and async API clients.

Nothing here imports Home Assistant; clients take an injected aiohttp session.
"""
