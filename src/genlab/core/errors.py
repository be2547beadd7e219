"""The one exception type genlab raises for bad user input.

It subclasses ValueError so library users can catch either; the CLI turns it into a
one-line message and exit code 2.
"""


class GenlabError(ValueError):
    """A problem with what the user gave genlab (a value, a file, a run directory)."""
