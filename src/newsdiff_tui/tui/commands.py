"""The command palette's provider: every command of the app by name (Ctrl+P)."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from newsdiff_tui.tui.keys import COMMANDS, Command, key_label

# Commands that only exist in the palette: sorting to a given order directly.
EXTRA: tuple[Command, ...] = (
    Command("palette.sort_changed", "", "sort('changed')", "", "Sort articles by last change"),
    Command("palette.sort_first_seen", "", "sort('first_seen')", "", "Sort articles by first seen"),
    Command("palette.sort_title", "", "sort('title')", "", "Sort articles by title"),
    Command("palette.clear_filter", "", "clear_filter", "", "Clear the article filter"),
)


def palette_entries(keymap: dict[str, str] | None = None) -> list[tuple[str, str, str]]:
    """(title, action, help) of every palette entry; the help text gives the key (as
    ``keymap`` remaps it) and the binding id."""
    entries = []
    for command in COMMANDS:
        key = key_label(command, keymap)
        entries.append((command.help, command.action, f"key: {key} · id: {command.id}"))
    for command in EXTRA:
        entries.append((command.help, command.action, ""))
    return entries


class NewsdiffCommands(Provider):
    """Lists the app's commands; running one runs the same action as its key."""

    async def _run(self, action: str) -> None:
        """Run a command's action on the screen the palette was opened from."""
        await self.screen.run_action(action)

    def _entries(self) -> list[tuple[str, str, str]]:
        """The palette's entries, each with its key as the user's keymap binds it."""
        return palette_entries(getattr(self.app, "keymap_overrides", None))

    async def discover(self) -> Hits:
        """Every command, before anything is typed."""
        for title, action, help_text in self._entries():
            yield DiscoveryHit(title, partial(self._run, action), help=help_text)

    async def search(self, query: str) -> Hits:
        """The commands whose description matches what is typed."""
        matcher = self.matcher(query)
        for title, action, help_text in self._entries():
            score = matcher.match(title)
            if score > 0:
                yield Hit(
                    score, matcher.highlight(title), partial(self._run, action), help=help_text
                )
