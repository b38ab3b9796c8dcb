"""Nutmeg harvesters."""
