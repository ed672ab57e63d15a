"""The `aieco dashboard` web app (placeholder; see app.py)."""
