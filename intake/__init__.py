"""intake: turns a recruiting mailbox into a clean, complete list of job applications."""
__version__ = "0.1.0"
