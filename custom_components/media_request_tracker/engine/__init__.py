"""The lifecycle engine: plain Python, no Home Assistant imports (DESIGN §2.3)."""
