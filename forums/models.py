"""Arrives with its issue; the app is installed so that migrations and imports have a home."""
