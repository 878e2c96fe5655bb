"""JSON Schemas shipped with smsync (see schemas/README in the repository)."""
