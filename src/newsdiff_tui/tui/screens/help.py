"""The help screen: every binding with its id, generated from the same table as the bindings."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from newsdiff_tui.tui.keys import COMMANDS, MOVES, OTHER_KEYS, key_label
from newsdiff_tui.tui.widgets.timeline import MARKS

PANE_NAMES = {"articles": "Articles", "versions": "Versions", "diff": "Diff"}
INTRO = (
    "Every key works from any pane; the footer shows the ones that matter where you are. "
    'Remap a key by its id in the config file\'s [keys] table, e.g. "diff.split" = "x".'
)


def help_table(keymap: dict[str, str] | None = None) -> Table:
    """Keys (as remapped by ``keymap``), what they do, their ids and where the footer shows
    them."""
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    table.add_column(style="dim", no_wrap=True)
    table.add_column(style="dim")
    table.add_row(
        Text("Key", "bold underline"),
        Text("What it does", "bold underline"),
        Text("Id", "bold underline"),
        Text("Footer of", "bold underline"),
    )
    for move in MOVES:
        table.add_row(key_label(move, keymap), move.help, move.id, "")
    for keys, what in OTHER_KEYS:
        table.add_row(keys, what, "", "")
    table.add_row("", "", "", "")
    for command in COMMANDS:
        where = ", ".join(PANE_NAMES[p] for p in command.panes) or "—"
        if len(command.panes) == len(PANE_NAMES):
            where = "every pane"
        table.add_row(key_label(command, keymap), command.help, command.id, where)
    return table


def marks_table() -> Table:
    """What the marks in the versions pane mean."""
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    table.add_row("", "")
    table.add_row(Text("Mark", "bold underline"), Text("In the versions", "bold underline"))
    for mark, meaning in MARKS:
        table.add_row(mark, meaning)
    return table


class HelpScreen(ModalScreen[None]):
    """A modal listing every key; any of Escape, q or ? closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "dismiss", "Close", key_display="Esc"),
    ]

    def __init__(self, keymap: dict[str, str] | None = None) -> None:
        """The help of every key, as ``keymap`` (the user's overrides) binds it."""
        super().__init__()
        self.keymap = keymap or {}

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body") as body:
            body.border_title = "Keys"
            body.border_subtitle = "Esc closes"
            yield Static(Text(INTRO))
            yield Static(help_table(self.keymap))
            yield Static(marks_table())

    def action_dismiss(self) -> None:  # type: ignore[override]
        """Close the help (Escape, q or ?)."""
        self.dismiss(None)
