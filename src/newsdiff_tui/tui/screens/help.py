"""The help screen: every binding, generated from the same table as the bindings themselves."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from newsdiff_tui.tui.keys import COMMANDS, MOVEMENT, key_label

PANE_NAMES = {"articles": "Articles", "versions": "Versions", "diff": "Diff"}


def help_table() -> Table:
    """Keys and what they do, with the panes where the footer shows them."""
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    table.add_column(style="dim")
    table.add_row(
        Text("Key", "bold underline"),
        Text("What it does", "bold underline"),
        Text("In the footer of", "bold underline"),
    )
    for keys, what in MOVEMENT:
        table.add_row(keys, what, "")
    table.add_row("", "", "")
    for command in COMMANDS:
        where = ", ".join(PANE_NAMES[p] for p in command.panes) or "every pane"
        table.add_row(key_label(command), command.help, where)
    return table


class HelpScreen(ModalScreen[None]):
    """A modal listing every key; any of Escape, q or ? closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "dismiss", "Close", key_display="Esc"),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body") as body:
            body.border_title = "Keys"
            body.border_subtitle = "Esc closes"
            yield Static(
                Text(
                    "Every key works from any pane; the footer shows the ones that "
                    "matter where you are. Keys can be remapped by binding id."
                )
            )
            yield Static(help_table())

    def action_dismiss(self) -> None:  # type: ignore[override]
        self.dismiss(None)
