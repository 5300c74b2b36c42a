"""Applicants' personal data: how long it is kept (retention.py), erasing it (erase.py, with
the saved report copies in copies.py), finding everything about one person (applicant.py),
giving it to them or exporting a posting (export.py, summary.py). See docs/privacy.md."""
