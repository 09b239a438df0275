"""The ``newsdiff-tui`` command: with no subcommand it opens the TUI; subcommands work headless.

Argument parsing lives here; each area's subcommands live in ``newsdiff_tui.commands``.
The TUI is imported only when it is launched, so headless commands stay fast.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from newsdiff_tui import __version__
from newsdiff_tui.commands import cache
from newsdiff_tui.commands.common import EXIT_USAGE, warn
from newsdiff_tui.errors import AmbiguousError, NewsdiffError
from newsdiff_tui.textnorm import display_safe

DESCRIPTION = """\
Track how online news articles change after they are published.

With no command, opens the terminal app on your cache (three panes: articles, the
selected article's versions, and a word-level diff). The commands below work without it.
"""

EPILOG = """\
examples:
  newsdiff-tui --demo                      explore the bundled demo article (no network)
  newsdiff-tui add https://example.com/story
  newsdiff-tui fetch                       check the articles that are due
  newsdiff-tui diff ARTICLE@0 ARTICLE@1    word diff of two stored versions
  newsdiff-tui --export ARTICLE -o story.md

The cache lives in --db DIR, else $NEWSDIFF_HOME, else the platform's user data dir.
"""


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser (the TUI's options plus every subcommand)."""
    parser = argparse.ArgumentParser(
        prog="newsdiff-tui",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"newsdiff-tui {__version__}")
    add_global_options(parser)
    parser.add_argument(
        "--demo",
        action="store_true",
        help="open the app on a temporary cache holding the bundled demo article",
    )
    export = parser.add_argument_group("export (see also: the TUI's e key)")
    export.add_argument(
        "--export",
        metavar="ARTICLE",
        help="export an article's history: an id, a URL, a search term matching one "
        "article, or 'all' (one file per article into the -o directory)",
    )
    export.add_argument("-o", "--output", metavar="FILE", help="write to FILE (default: stdout)")
    export.add_argument(
        "--format",
        dest="export_format",
        choices=("markdown", "json", "atom", "html"),
        default="markdown",
        help="export format (default: markdown); html with --export all: a static site",
    )
    export.add_argument("--source", help="with --export all: only articles from this source")
    export.add_argument("--since", metavar="DATE", help="with --export all: changed since DATE")
    export.add_argument(
        "--full", action="store_true", help="include unchanged paragraphs instead of folding them"
    )
    export.add_argument(
        "--no-latest", action="store_true", help="leave out the latest full text at the end"
    )
    export.add_argument(
        "--now",
        metavar="TIME",
        help="with markdown: add when the next check is due as of TIME (ISO 8601, or 'now' "
        "for the clock); left out by default, so the same cache gives the same bytes any day",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    for module in _command_modules():
        module.register(sub)
    for command_parser in _command_parsers(parser):
        add_global_options(command_parser, after_command=True)
    return parser


def add_global_options(parser: argparse.ArgumentParser, *, after_command: bool = False) -> None:
    """The options every command understands (``--db``, ``--config``), before the command or
    after it.

    After a command they default to ``SUPPRESS``, so that leaving them out there keeps the
    value given before the command; given in both places, the later one wins.
    """
    default = argparse.SUPPRESS if after_command else None
    if "--db" not in parser._option_string_actions:
        parser.add_argument(
            "--db",
            metavar="DIR",
            type=_directory,
            default=default,
            help="cache directory (default: $NEWSDIFF_HOME, else the user data dir)",
        )
    if "--config" not in parser._option_string_actions:
        parser.add_argument(
            "--config",
            metavar="FILE",
            default=default,
            help="settings file (TOML: keys, view, fetch defaults; default: "
            "config.toml in the platform's user config dir)",
        )


def _directory(text: str) -> str:
    """A ``--db`` value: an empty one would silently mean the default cache, so it is refused."""
    if not text.strip():
        raise argparse.ArgumentTypeError("name a directory (it is empty)")
    return text


def _command_parsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    """Every subcommand's parser, nested ones (``feed list``) included, each once."""
    found: list[argparse.ArgumentParser] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in dict.fromkeys(action.choices.values()):  # aliases share a parser
                found += [child, *_command_parsers(child)]
    return found


def _command_modules() -> list:
    """The modules that contribute subcommands (each has ``register(subparsers)``)."""
    modules = [cache]
    for name in ("track", "extractcmd", "diffcmd", "archive", "blamecmd", "searchcmd", "statscmd"):
        try:
            modules.append(__import__(f"newsdiff_tui.commands.{name}", fromlist=["register"]))
        except ModuleNotFoundError as exc:
            if exc.name != f"newsdiff_tui.commands.{name}":
                raise
    return modules


def run_tui(args: argparse.Namespace) -> int:
    """Launch the terminal app (imported here so headless commands never load Textual)."""
    from newsdiff_tui.tui.app import run_app

    return run_app(db=args.db, demo=args.demo, config=args.config)


# Export options and their defaults: given without --export they would be silently ignored.
_EXPORT_ONLY = {
    "output": ("-o", None),
    "export_format": ("--format", "markdown"),
    "source": ("--source", None),
    "since": ("--since", None),
    "full": ("--full", False),
    "no_latest": ("--no-latest", False),
    "now": ("--now", None),
}


def _refuse_ignored_options(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """A usage error (exit 2) for options that would do nothing, instead of ignoring them:
    ``newsdiff-tui -o story.md`` would otherwise open the app."""
    if args.export and args.command:
        parser.error("--export cannot be combined with a command")
    if args.demo and (args.command or args.export):
        parser.error("--demo opens the app on the demo article; it takes no command or --export")
    if not args.export and not args.command:
        given = [
            flag for dest, (flag, unset) in _EXPORT_ONLY.items() if getattr(args, dest) != unset
        ]
        if given:
            verb = "applies" if len(given) == 1 else "apply"
            parser.error(f"{', '.join(given)} {verb} only to --export ARTICLE")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    _refuse_ignored_options(parser, args)
    try:
        if args.export:
            from newsdiff_tui.commands.exportcmd import run_export

            return run_export(args)
        if args.command:
            return args.handler(args)
        return run_tui(args)
    except AmbiguousError as exc:
        warn(str(exc))
        for article in exc.matches:
            name = display_safe(f"{article.source}  {article.title or article.url}", one_line=True)
            print(f"  {article.id}  {name}", file=sys.stderr)
        return EXIT_USAGE
    except NewsdiffError as exc:
        warn(str(exc))  # warn makes it one line, escape codes stripped (display_safe)
        return EXIT_USAGE
    except KeyboardInterrupt:
        warn("interrupted")
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
