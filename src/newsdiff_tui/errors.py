"""Exceptions the core raises for problems a user can understand and fix."""


class NewsdiffError(Exception):
    """A problem with a clear message for the user; the CLI prints it and exits with code 2."""


class CacheError(NewsdiffError):
    """The cache cannot be used as it is (corrupt file, newer schema, unwritable directory)."""


class NoCacheError(CacheError):
    """There is no cache where one was expected (a read-only command before any ``add``)."""


class InputError(NewsdiffError):
    """A file the user named cannot be read as needed (missing, a directory, too large...)."""


class NotFoundError(NewsdiffError):
    """An article or version the user named is not in the cache."""


class AmbiguousError(NewsdiffError):
    """A search term matched several articles; ``matches`` lists them for the caller."""

    def __init__(self, message: str, matches: list) -> None:
        """The error ``message``, keeping the ``matches`` for callers that list them."""
        super().__init__(message)
        self.matches = matches
