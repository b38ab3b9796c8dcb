"""Nutmeg index."""
