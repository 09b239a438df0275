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
    parser.add_argument("--db", metavar="DIR", help="cache directory (default: see below)")
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="settings file (TOML: keys, view, fetch defaults; default: "
        "config.toml in the platform's user config dir)",
    )
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
        choices=("markdown", "json", "atom"),
        default="markdown",
        help="export format (default: markdown)",
    )
    export.add_argument("--source", help="with --export all: only articles from this source")
    export.add_argument("--since", metavar="DATE", help="with --export all: changed since DATE")
    export.add_argument(
        "--full", action="store_true", help="include unchanged paragraphs instead of folding them"
    )
    export.add_argument(
        "--no-latest", action="store_true", help="leave out the latest full text at the end"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    for module in _command_modules():
        module.register(sub)
    return parser


def _command_modules() -> list:
    """The modules that contribute subcommands (each has ``register(subparsers)``)."""
    modules = [cache]
    for name in ("track", "diffcmd"):
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


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.export:
            if args.command:
                parser.error("--export cannot be combined with a command")
            from newsdiff_tui.commands.exportcmd import run_export

            return run_export(args)
        if args.command:
            return args.handler(args)
        return run_tui(args)
    except AmbiguousError as exc:
        warn(str(exc))
        for article in exc.matches:
            print(
                f"  {article.id}  {article.source}  {article.title or article.url}", file=sys.stderr
            )
        return EXIT_USAGE
    except NewsdiffError as exc:
        warn(str(exc))
        return EXIT_USAGE
    except KeyboardInterrupt:
        warn("interrupted")
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
