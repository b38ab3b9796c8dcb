"""Nutmeg mappings."""
