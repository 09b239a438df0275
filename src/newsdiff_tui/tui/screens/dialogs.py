"""Small modal dialogs: add a URL (validated) and confirm a deletion."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.validation import ValidationResult, Validator
from textual.widgets import Button, Input, Static

from newsdiff_tui.urls import url_problem


class HttpUrl(Validator):
    """Accepts http and https URLs with a host."""

    def validate(self, value: str) -> ValidationResult:
        """Valid when ``url_problem`` finds nothing wrong with the URL."""
        problem = url_problem(value)
        return self.failure(problem) if problem else self.success()


class AddUrlDialog(ModalScreen[str | None]):
    """Asks for a URL to track; Enter adds it once it is valid, Escape cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog") as box:
            box.border_title = "Track an article"
            yield Static("Paste the article's URL (http or https):")
            yield Input(
                placeholder="https://…",
                validators=[HttpUrl()],
                id="url",
                validate_on=["changed", "submitted"],
            )
            yield Static("", id="url-problem", classes="problem")
            with Horizontal(classes="buttons"):
                yield Button("Add", variant="primary", id="add")
                yield Button("Cancel", id="cancel")

    def _submit(self) -> None:
        """Return the typed URL, or say what is wrong with it and stay open."""
        value = self.query_one("#url", Input).value.strip()
        problem = url_problem(value)
        if problem:
            self.query_one("#url-problem", Static).update(Text(problem))
            return
        self.dismiss(value)

    def on_input_changed(self, event: Input.Changed) -> None:
        """Say what is wrong with the URL as it is typed."""
        problem = url_problem(event.value) if event.value else None
        self.query_one("#url-problem", Static).update(Text(problem or ""))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter: add the URL, if it is one."""
        event.stop()
        self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Add the URL, or cancel."""
        event.stop()
        if event.button.id == "add":
            self._submit()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        """Close without adding anything (Escape)."""
        self.dismiss(None)


class ConfirmDialog(ModalScreen[bool]):
    """A yes/no question; y or Enter on Yes confirms, n or Escape declines."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(self, question: Text, *, yes: str = "Delete") -> None:
        super().__init__()
        self.question = question
        self.yes = yes

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog") as box:
            box.border_title = "Confirm"
            yield Static(self.question)
            with Horizontal(classes="buttons"):
                yield Button(f"{self.yes} (y)", variant="error", id="yes")
                yield Button("Keep (n)", id="no")

    def on_mount(self) -> None:
        """Focus the Keep button, so that a stray Enter changes nothing."""
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Answer yes or no by the button pressed."""
        event.stop()
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        """Answer by key: y for yes, n or Escape for no."""
        self.dismiss(yes)
