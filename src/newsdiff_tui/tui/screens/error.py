"""The screen shown instead of the app when the cache cannot be opened."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Static


class CacheErrorScreen(Screen[None]):
    """Says what is wrong with the cache and how to repair it; nothing is written."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("q,escape", "app.quit", "Quit", id="app.quit")]

    def __init__(self, message: str, root: str) -> None:
        super().__init__()
        self.message = message
        self.root = root

    def compose(self) -> ComposeResult:
        with Vertical(classes="error-box") as box:
            box.border_title = "The cache cannot be opened"
            yield Static(Text(self.message, "bold"), id="error-message")
            yield Static(
                Text.assemble(
                    "\nNothing was changed: the file is kept as it is for you to inspect.\n\n",
                    "To check every file and rebuild the index from the article files, run:\n\n",
                    ("    newsdiff-tui --db ", "bold"),
                    (self.root, "bold"),
                    (" doctor --rebuild-index", "bold"),
                    "\n\nor restore the file from a backup, then start newsdiff-tui again.",
                )
            )
        yield Footer()
