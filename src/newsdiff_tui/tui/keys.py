"""Every key the app answers to, in one table: bindings, the footer, help and the palette use it.

Each command has a binding id (``pane.name``) so users can remap it with a Textual keymap, as
posting does. A command that belongs to a pane is bound twice with the same id: on the app,
hidden, so it works from anywhere, and on the pane, shown, so the footer lists the keys that
matter where the focus is.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding


@dataclass(frozen=True)
class Command:
    """One user-facing command: its key, the app action it runs and where it is shown."""

    id: str
    key: str
    action: str  # an action on the app, without the "app." prefix
    description: str  # short, for the footer
    help: str  # one line, for the help screen and the command palette
    panes: tuple[str, ...] = ()  # panes whose footer shows it; () means shown everywhere
    key_display: str | None = None


ARTICLES = "articles"
VERSIONS = "versions"
DIFF = "diff"

COMMANDS: tuple[Command, ...] = (
    Command("app.quit", "q", "quit", "Quit", "Quit newsdiff-tui"),
    Command("app.help", "question_mark", "help", "Help", "Show every key", key_display="?"),
    Command(
        "articles.refresh",
        "r",
        "refresh_selected",
        "Refresh",
        "Check the selected article now",
        (ARTICLES, VERSIONS),
    ),
    Command(
        "articles.refresh_due",
        "R",
        "refresh_due",
        "Refresh due",
        "Check every article that is due",
        (ARTICLES,),
    ),
    Command("articles.add", "a", "add_url", "Add", "Track a new article by URL", (ARTICLES,)),
    Command(
        "articles.filter",
        "slash",
        "filter",
        "Filter",
        "Filter articles as you type (title, source or URL)",
        (ARTICLES,),
        key_display="/",
    ),
    Command(
        "articles.sort",
        "O",
        "cycle_sort",
        "Sort",
        "Sort by last change, first seen or title",
        (ARTICLES,),
    ),
    Command(
        "articles.delete",
        "d",
        "delete_article",
        "Delete",
        "Stop tracking the selected article (asks first)",
        (ARTICLES,),
    ),
    Command(
        "articles.open",
        "o",
        "open_browser",
        "Open",
        "Open the article in a browser",
        (ARTICLES, VERSIONS),
    ),
    Command(
        "articles.export",
        "e",
        "export_markdown",
        "Export",
        "Export the article's history to Markdown",
        (ARTICLES, VERSIONS, DIFF),
    ),
    Command(
        "versions.base",
        "b",
        "mark_base",
        "Base",
        "Mark the selected version as the base of the next comparison",
        (VERSIONS,),
    ),
    Command(
        "versions.boring",
        "h",
        "toggle_boring",
        "Boring",
        "Show or hide boring versions (whitespace, punctuation only)",
        (VERSIONS,),
    ),
    Command(
        "diff.split",
        "s",
        "toggle_split",
        "Split",
        "Switch the diff between inline and side by side",
        (VERSIONS, DIFF),
    ),
    Command("diff.next_change", "n", "next_change", "Next", "Jump to the next change", (DIFF,)),
    Command("diff.prev_change", "N", "prev_change", "Prev", "Jump to the previous change", (DIFF,)),
    Command(
        "diff.fold", "f", "toggle_fold", "Fold", "Fold or unfold unchanged paragraphs", (DIFF,)
    ),
)

# Movement inside panes; listed in help, not in the palette.
MOVEMENT: tuple[tuple[str, str], ...] = (
    ("↑ ↓  j k", "Move the cursor (scroll the diff)"),
    ("PgUp PgDn  Home End", "Move a page, or to the top or bottom"),
    ("Tab  Shift+Tab", "Next or previous pane"),
    ("Enter", "Open: articles → versions → diff"),
    ("Escape", "Clear the filter or the base version"),
    ("Ctrl+P", "Command palette: every command by name"),
)


def app_bindings() -> list[Binding]:
    """Every command bound on the app; pane commands hidden (the panes show them)."""
    return [
        Binding(
            c.key,
            c.action,
            c.description,
            show=not c.panes,
            key_display=c.key_display,
            id=c.id,
        )
        for c in COMMANDS
    ]


def pane_bindings(pane: str) -> list[Binding]:
    """The commands a pane shows in the footer, bound to the app's actions."""
    return [
        Binding(c.key, f"app.{c.action}", c.description, key_display=c.key_display, id=c.id)
        for c in COMMANDS
        if pane in c.panes
    ]


def key_label(command: Command) -> str:
    """How a command's key is written in help: ``?`` rather than ``question_mark``."""
    return command.key_display or command.key
