"""Sync between a station and the district: wire protocol, client (requests) and server (FastAPI)."""
