"""Serverless support triage: the core package (imports nothing from the handlers)."""
