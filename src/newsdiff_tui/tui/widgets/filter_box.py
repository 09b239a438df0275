"""The article filter's input (``/``): titles as you type, or the text of every version.

Two modes, switched by a key the prompt names (Ctrl+T unless remapped): ``titles`` narrows the
list to titles, sources and URLs containing what is typed, at each key; ``text`` searches the
title, byline and paragraphs of every stored version when Enter is pressed (a search can take a
moment: the first one builds the index), with ``+words`` / ``-words`` for the versions where the
words were added / removed and ``"…"`` for a phrase.
"""

from __future__ import annotations

from typing import Literal

from textual.widgets import Input

FilterMode = Literal["titles", "text"]
PLACEHOLDERS: dict[FilterMode, str] = {
    "titles": "title, source or URL",
    "text": 'words · +words: added · -words: removed · "a phrase"',
}


class FilterBox(Input):
    """The filter's input; its border names the mode, the key that switches it and what Enter
    and Escape do."""

    def __init__(self, *, switch_key: str = "Ctrl+T", id: str | None = None) -> None:
        super().__init__(id=id)
        self.mode: FilterMode = "titles"
        self.switch_key = switch_key
        self.set_mode("titles")

    def set_mode(self, mode: FilterMode) -> None:
        """Show the prompt of ``mode`` (the value is kept: it is what the next mode uses)."""
        self.mode = mode
        self.placeholder = PLACEHOLDERS[mode]
        if mode == "titles":
            self.border_title = f"Filter titles · {self.switch_key}: search the text"
            self.border_subtitle = "Enter keeps it · Esc clears it"
        else:
            self.border_title = f"Search every version · {self.switch_key}: titles"
            self.border_subtitle = "Enter searches · Esc clears it"
