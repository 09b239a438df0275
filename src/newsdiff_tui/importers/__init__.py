"""Importers: other trackers' histories (diffengine, NewsEdits, NewsDiffs, NewsSniffer) as
versions of our cache.

One module per format turns a source into validated articles (``base.ImportedArticle``);
``run.import_sources`` reads every source to its end before writing anything, then stores
each article's versions with origin ``import``, their id in the other tracker
(``format:id``) and their original time. See ``run`` for the two phases and why.

This package module stays light (the CLI imports it for the format names at every start);
the readers, and lxml with them, load with ``importers.run``.
"""

from __future__ import annotations

# What ``import --from`` accepts besides ``json``: each has a module of that name.
FORMAT_NAMES = ("diffengine", "newsedits", "newsdiffs", "newssniffer")

__all__ = ["FORMAT_NAMES"]
