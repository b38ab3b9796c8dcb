"""Governance over HTTP and at the shell: who may write (API keys, roles, organizations), publishing
with or without review, sources managed by their agencies, the audit log and rate limits."""
