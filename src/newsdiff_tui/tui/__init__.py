"""The Textual app: a thin layer over the core (store, diff, tracker); nothing below imports it."""
