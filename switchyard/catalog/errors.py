"""The package's one exception root: every error Switchyard raises on purpose derives from it.

Callers that embed Switchyard (the operator, tests, tools) can catch ``SwitchyardError`` to tell
our deliberate, safe-to-show failures from bugs. Messages of subclasses never hold keys, tokens,
prompts or upstream bodies.
"""

from __future__ import annotations


class SwitchyardError(Exception):
    """Root of every deliberate Switchyard error; the message is safe to log and show."""
