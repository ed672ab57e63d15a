"""Figures: one style (``style``) and plain functions from results tables to matplotlib Figures."""
