"""Every key the app answers to, in one table: bindings, the footer, help and the palette use it.

Each command has a binding id (``pane.name``) so users can remap it in the config file's
``[keys]`` table (a Textual keymap, as posting does). A command is bound on the main screen,
hidden, so it works from any pane, and again (same id) on the panes where it matters, shown,
so the footer lists the keys that matter where the focus is. Quit and Help come first in every
pane, so a narrow footer still shows them.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding


@dataclass(frozen=True)
class Command:
    """One user-facing command: its key, the app action it runs and where it is shown."""

    id: str
    key: str
    action: str  # an action on the main screen, without a namespace prefix
    description: str  # short, for the footer
    help: str  # one line, for the help screen and the command palette
    panes: tuple[str, ...] = ()  # panes whose footer shows it; (): none (help, palette)
    key_display: str | None = None


ARTICLES = "articles"
VERSIONS = "versions"
DIFF = "diff"
EVERY_PANE = (ARTICLES, VERSIONS, DIFF)

COMMANDS: tuple[Command, ...] = (
    Command("app.quit", "q", "quit", "Quit", "Quit newsdiff-tui", EVERY_PANE),
    Command(
        "app.help", "question_mark", "help", "Help", "Show every key", EVERY_PANE, key_display="?"
    ),
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
        "Open the article in a browser (on an archived version: its archive page)",
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
        "articles.backfill",
        "W",
        "backfill_selected",
        "Backfill",
        "Backfill the selected article from the Wayback Machine's captures",
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
    Command(
        "view.maximize",
        "z",
        "toggle_maximize",
        "Zoom",
        "Give the focused pane the whole screen, or give it back (Esc too)",
        EVERY_PANE,
    ),
    Command(
        "diff.blame",
        "B",
        "toggle_blame",
        "Blame",
        "Show which version brought each sentence of the selected version (blame), or the diff",
        (DIFF,),
    ),
    Command(
        "articles.search_text",
        "ctrl+t",
        "search_text",
        "Search text",
        "Search the text of every version (in the filter: switch titles / text)",
        key_display="Ctrl+T",
    ),
    Command(
        "view.stats",
        "S",
        "show_stats",
        "Stats",
        "Statistics per source: how often and how fast articles change",
    ),
)


@dataclass(frozen=True)
class Move:
    """A movement key inside a pane (remappable by id, listed in help, not in the palette)."""

    id: str
    key: str
    help: str
    key_display: str | None = None


MOVES: tuple[Move, ...] = (
    Move("cursor.up", "up,k", "Move up (scroll the diff)", "↑ k"),
    Move("cursor.down", "down,j", "Move down (scroll the diff)", "↓ j"),
    Move("cursor.page_up", "pageup", "Move a page up", "PgUp"),
    Move("cursor.page_down", "pagedown", "Move a page down (Space in the diff)", "PgDn"),
    Move("cursor.top", "home", "Go to the top (the first version)", "Home"),
    Move("cursor.bottom", "end", "Go to the bottom (the latest version)", "End"),
    Move("cursor.open", "enter", "Open: articles → versions → diff", "Enter"),
)

# Keys that are not bindings of ours (Textual's own): listed in help only.
OTHER_KEYS: tuple[tuple[str, str], ...] = (
    ("Tab  Shift+Tab", "Next or previous pane"),
    ("Escape", "Clear the filter or the base version; give a zoomed pane back"),
    ("Ctrl+P", "Command palette: every command by name"),
)


def move_binding(move_id: str, action: str, *, key: str | None = None) -> Binding:
    """A pane's hidden movement binding, with the id users remap it by."""
    move = next(m for m in MOVES if m.id == move_id)
    return Binding(key or move.key, action, move.help, show=False, id=move.id)


def screen_bindings() -> list[Binding]:
    """Every command bound on the main screen, hidden: the panes show theirs in the footer."""
    return [
        Binding(c.key, c.action, c.description, show=False, key_display=c.key_display, id=c.id)
        for c in COMMANDS
    ]


def pane_bindings(pane: str) -> list[Binding]:
    """The commands a pane shows in the footer, bound to the main screen's actions."""
    return [
        Binding(c.key, f"screen.{c.action}", c.description, key_display=c.key_display, id=c.id)
        for c in COMMANDS
        if pane in c.panes
    ]


def binding_ids() -> set[str]:
    """Every id a config file's ``[keys]`` table may remap."""
    return {c.id for c in COMMANDS} | {m.id for m in MOVES}


def key_label(command: Command | Move, keymap: dict[str, str] | None = None) -> str:
    """How a command's key is written in help: ``?`` rather than ``question_mark``; a remapped
    key as the keymap gives it."""
    if keymap and command.id in keymap:
        return " ".join(keymap[command.id].split(","))
    return command.key_display or command.key
