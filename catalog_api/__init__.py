"""Nutmeg catalog_api."""
