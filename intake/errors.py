"""Errors a user can fix. The CLI prints them as one clear line and exits with their code."""


class UserError(Exception):
    """A mistake in the user's input, config or environment (exit code 2)."""

    exit_code = 2


class ConfigError(UserError):
    """config.toml or an environment variable is wrong."""
