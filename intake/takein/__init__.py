"""Take-in: the durable half. Files and IMAP folders -> raw store + message rows.

Nothing here imports intake.understand: the commands take in, then understand.
"""
