"""The work behind each CLI command; `tuinews.cli` parses arguments and dispatches here."""
