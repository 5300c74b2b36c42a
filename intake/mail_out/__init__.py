"""What intake sends to people other than recruiters: acknowledgements to applicants.

    understanding (pipeline stage `acknowledgements`) -> outbox.consider: decide, write the row
    intake acknowledge / the daemon at each poll      -> send.send_outbox: send due rows

See docs/acknowledgements.md.
"""
