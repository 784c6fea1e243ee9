"""Keeping bad data out: secret and PII redaction, exact and near-duplicate detection."""
