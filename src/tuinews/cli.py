"""Command line: `tuinews [SOURCE...]` opens the reader; subcommands serve scripts and cron.

Every error a user can cause ends in one line on stderr (`tuinews: ...`) and a non-zero
exit status; tracebacks only with `--debug`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, NoReturn

from tuinews import __version__
from tuinews.errors import TuinewsError

if TYPE_CHECKING:
    import argparse

    from _typeshed import SupportsWrite

    from tuinews.ui.first_frame import FirstFrame

EXIT_OK = 0
EXIT_FAILED = 1
MAX_WIDTH = 1000  # columns of `read --width`

DESCRIPTION = """\
A terminal news reader. With no command, opens the reader on your subscriptions
(or on the bundled sample feeds when you have none). With SOURCE arguments (URLs, files,
directories, OPML lists, `file://` URLs or `-` for standard input), opens just those
sources without changing your subscriptions."""

EPILOG = """\
Files: settings and subscriptions in $XDG_CONFIG_HOME/tuinews/config.toml (override with
--config or TUINEWS_CONFIG); articles in $XDG_DATA_HOME/tuinews/tuinews.db (override with
--db or TUINEWS_DB). Run `tuinews COMMAND --help` for a command's options."""


def _common_options(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    import argparse

    # Accepted before or after the command; only the top level shows defaults.
    default = argparse.SUPPRESS if suppress else None
    parser.add_argument(
        "--config",
        metavar="FILE",
        type=_file_name,
        default=default,
        help="settings and subscriptions file",
    )
    parser.add_argument(
        "--db", metavar="FILE", type=_file_name, default=default, help="article store file"
    )
    parser.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS if suppress else False,
        help="show tracebacks for errors",
    )


def _file_name(value: str) -> str:
    import argparse

    if not value.strip():
        # An empty --db would otherwise mean the default store, which is not what was asked.
        raise argparse.ArgumentTypeError("empty file name")
    return value


def build_parser() -> argparse.ArgumentParser:
    # Imported here: a bare `tuinews` draws its first frame before parsing anything.
    import argparse

    class Parser(argparse.ArgumentParser):
        commands: Mapping[str, argparse.ArgumentParser]  # the top parser's, by name

        def error(self, message: str) -> NoReturn:
            # One line, as every other user error: the usage block is one --help away.
            self.exit(2, f"{self.prog}: {message} (see `{self.prog} --help`)\n")

        def _print_message(self, message: str, file: SupportsWrite[str] | None = None) -> None:
            # argparse drops a failed write: `--help > /dev/full` ended with status 0.
            # Raised named, it is said as any other unwritable output (`_run`).
            if message:
                stream = file or sys.stderr
                try:
                    stream.write(message)
                    getattr(stream, "flush", lambda: None)()
                except BrokenPipeError:
                    pass  # `tuinews --help | head -1`: the reader went away
                except OSError as failed:
                    where = "standard output" if stream is sys.stdout else "standard error"
                    raise OSError(failed.errno, failed.strerror, where) from None

    parser = Parser(
        prog="tuinews",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"tuinews {__version__}")
    _common_options(parser, suppress=False)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    parser.commands = commands.choices

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        _common_options(sub, suppress=True)
        return sub

    p = command("list", "print headlines of sources, or of the store when no source is given")
    p.add_argument(
        "sources",
        nargs="*",
        metavar="SOURCE",
        help="URL, file, directory, OPML list, file:// URL or - (standard input)",
    )
    p.add_argument(
        "--json",
        action="store_true",
        help="one JSON object per line: id, feed, title, link, published, ...",
    )
    p.add_argument("--limit", type=_positive_int, metavar="N", help="print at most N headlines")
    p.add_argument("--unread", action="store_true", help="store: only unread articles")
    p.add_argument("--starred", action="store_true", help="store: only starred articles")
    p.add_argument(
        "--feed",
        action="append",
        default=[],
        metavar="FEED",
        help="store: only this feed (URL or title; repeatable)",
    )
    p.add_argument(
        "--tag",
        action="append",
        default=[],
        metavar="TAG",
        help="store: only feeds with this tag (repeatable; with --feed, either)",
    )
    p.add_argument("--search", metavar="TEXT", help="store: full-text search, best match first")

    p = command("read", "print one article, rendered for the terminal")
    p.add_argument(
        "source",
        metavar="SOURCE|ID",
        help="a source (URL, file, -) or the id of a stored article (from `list`)",
    )
    p.add_argument(
        "--index",
        type=_positive_int,
        metavar="N",
        help="with a source: the Nth article, newest first (default 1)",
    )
    p.add_argument(
        "--width",
        type=_columns,
        metavar="W",
        help="wrap at W columns (default: the terminal's width, or 80)",
    )

    p = command(
        "refresh",
        "fetch subscribed feeds into the store (exit 1 when a feed failed or is still failing)",
    )
    p.add_argument(
        "feeds",
        nargs="*",
        metavar="FEED",
        help="only these feeds (URL or title), fetched now even while backing off",
    )
    p.add_argument(
        "--quiet",
        "-q",
        action="store_true",
        help=(
            "no progress and no summary: only what needs a look (failed feeds, documents "
            "cut short, subscriptions moved by a permanent redirect), on stderr"
        ),
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="fetch every feed in full: no conditional GET, no back-off or Retry-After wait",
    )

    p = command("add", "subscribe to a feed URL or a local path")
    p.add_argument("url", metavar="URL|PATH")
    p.add_argument("--title", metavar="T", help="title to show instead of the feed's own")
    p.add_argument(
        "--tag",
        action="append",
        default=[],
        metavar="TAG",
        help="a tag (repeatable); tags group feeds in the sidebar",
    )

    p = command("remove", "unsubscribe from a feed and drop its articles")
    p.add_argument("feed", metavar="FEED", help="URL, title, or a unique part of the title")
    p.add_argument(
        "-y",
        "--yes",
        action="store_true",
        help="remove a feed named by only a part of its title or address without asking",
    )

    p = command("feeds", "list subscriptions: title, tags, unread/total, last refresh, last error")
    p.add_argument(
        "--json",
        action="store_true",
        help="one JSON object per feed and line (tags as a list, times in UTC, back-off state)",
    )

    p = command("import", "subscribe to the feeds of an OPML file or a newsboat urls file")
    p.add_argument(
        "file",
        metavar="FILE|URL",
        help="OPML 1.0/1.1/2.0 or newsboat `urls`: a file, an http(s) URL, or - for stdin",
    )
    p.add_argument(
        "--trust-local",
        action="store_true",
        help="the list is yours (a backup written by export): subscribe to the local folders "
        "and files it names anywhere, not only to feed files (never for a list from the web)",
    )

    p = command("export", "write subscriptions as OPML 2.0 (tags become folders)")
    p.add_argument(
        "-o", "--output", metavar="FILE", type=_file_name, help="write to FILE instead of stdout"
    )

    p = command("mark-read", "mark stored articles read")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--all", action="store_true", help="every article")
    group.add_argument("--feed", action="append", metavar="FEED", help="articles of FEED")
    p.add_argument("ids", nargs="*", metavar="ID", help="article ids (from `list`)")

    p = command("cleanup", "drop old articles as the [retention] settings say (starred kept)")
    p.add_argument(
        "--unsubscribed",
        action="store_true",
        help="also drop the articles of feeds no longer in the settings file (starred kept)",
    )
    return parser


def _positive_int(text: str, most: int = 1_000_000_000) -> int:
    # Bounded: a huge number is a typo, and past 2**63 SQLite and Rich fail with tracebacks.
    import argparse

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 1 <= value <= most:
        raise argparse.ArgumentTypeError(f"must be from 1 to {most}: {text!r}")
    return value


def _columns(text: str) -> int:
    # Rules and tables are drawn the full width: 10 million columns printed 600 MB.
    return _positive_int(text, most=MAX_WIDTH)


# Command name -> (module under tuinews.commands, function). Each command imports only its
# own module when run, so start-up stays cheap; the launch-argument split reads the names.
_HANDLERS: dict[str, tuple[str, str]] = {
    "list": ("articles", "list_command"),
    "read": ("articles", "read_command"),
    "refresh": ("store_commands", "refresh_command"),
    "mark-read": ("store_commands", "mark_read_command"),
    "cleanup": ("store_commands", "cleanup_command"),
    "add": ("subscriptions_commands", "add_command"),
    "remove": ("subscriptions_commands", "remove_command"),
    "feeds": ("subscriptions_commands", "feeds_command"),
    "import": ("subscriptions_commands", "import_command"),
    "export": ("subscriptions_commands", "export_command"),
}
COMMANDS = frozenset(_HANDLERS)


def _split_launch_args(argv: Sequence[str]) -> tuple[list[str], list[str]] | None:
    """`tuinews [options] SOURCE...` (no command): return (options, sources), else None."""
    options: list[str] = []
    sources: list[str] = []
    args = list(argv)
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in ("--config", "--db") and i + 1 < len(args):
            options += args[i : i + 2]
            i += 2
            continue
        if arg.startswith(("--config=", "--db=")) or arg == "--debug":
            options.append(arg)
        elif arg == "--":
            sources += args[i + 1 :]
            break
        elif arg.startswith("-") and arg != "-":
            return None  # --help, --version or a typo: let argparse answer
        elif not sources and arg in COMMANDS:
            return None
        else:
            sources.append(arg)
        i += 1
    return options, sources


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args_list
    _open_closed_standard_streams()
    _replace_unencodable_characters()
    frame: FirstFrame | None = None
    if not args_list:
        # The reader's first screen, drawn from the store before the rest loads.
        from tuinews.ui.early_exit import give_the_terminal_back_on_sigterm
        from tuinews.ui.first_frame import quick_first_frame

        give_the_terminal_back_on_sigterm()
        frame = quick_first_frame()
    code = _run(args_list, frame, debug)
    if argv is None and not debug:
        _exit_now(code)  # the console script: returns only when other threads remain
    return code


def _open_closed_standard_streams() -> None:
    """Standard input, output or error closed by whoever started us (`tuinews refresh
    >&-`, `2>&-`) become /dev/null. Python leaves such a stream None, on which every
    command ended in a traceback (or, stderr closed, in exit status 1); and the store
    would be opened on the free descriptor 1 or 2, where a stray write lands in it."""
    import os

    for fd, name in ((0, "stdin"), (1, "stdout"), (2, "stderr")):
        try:
            os.fstat(fd)
            continue
        except OSError:
            pass
        try:
            opened = os.open(os.devnull, os.O_RDONLY if fd == 0 else os.O_WRONLY)
        except OSError:
            continue
        if opened != fd:
            os.dup2(opened, fd)
            os.close(opened)
        if getattr(sys, name) is None:
            setattr(sys, name, open(fd, "r" if fd == 0 else "w", closefd=False))  # noqa: SIM115


def _replace_unencodable_characters() -> None:
    """On a terminal or pipe that is not UTF-8 (LANG=C, PYTHONIOENCODING=latin-1), a
    character it cannot show becomes "?" instead of ending the command with a traceback:
    feed titles may hold any character, and our own lines hold a few ("–", "…")."""
    import codecs

    for stream in (sys.stdout, sys.stderr):
        encoding = getattr(stream, "encoding", None)
        try:
            if encoding is None or codecs.lookup(encoding).name == "utf-8":
                continue
            stream.reconfigure(errors="replace")  # type: ignore[union-attr]
        except (AttributeError, LookupError, ValueError):
            continue  # replaced by a test or an embedding program: theirs to decide


def _exit_now(code: int) -> None:
    """End the process at once, without Python's teardown of every module one by one:
    about 35 ms here, a tenth of a refresh of unchanged feeds and more of a `list`.

    Only when this thread is the last one, so nothing else can be in the middle of
    writing; the store, its lock and the parse workers are closed by then, atexit
    handlers still run and the output is flushed. Tests call `main(argv)`, which returns.
    """
    import threading

    if threading.active_count() != 1:
        return
    import atexit
    import contextlib
    import os

    atexit._run_exitfuncs()
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        pass  # a reader that went away (`tuinews --help | head -1`): not an error
    except OSError as error:  # what is left of the output cannot be written
        if code == EXIT_OK:  # else the failure was said already
            with contextlib.suppress(OSError, ValueError):
                print(f"tuinews: standard output: {error.strerror or error}", file=sys.stderr)
            code = EXIT_FAILED
    except ValueError:
        pass  # closed by an embedding program: nothing left to say
    with contextlib.suppress(OSError, ValueError):
        sys.stderr.flush()
    os._exit(code)


def _run(args_list: list[str], frame: FirstFrame | None, debug: bool) -> int:
    try:
        try:
            return _dispatch(args_list, frame)
        finally:
            if frame is not None:
                frame.restore()  # before any error line: not onto the frame's screen
    except KeyboardInterrupt as stop:
        from tuinews.errors import Terminated

        if isinstance(stop, Terminated):
            print("tuinews: terminated", file=sys.stderr)
            return 143  # 128 + SIGTERM, as a shell reports it
        print("tuinews: interrupted", file=sys.stderr)
        return 130
    except TuinewsError as error:
        if debug:
            raise
        from tuinews.sources.sanitize import passwords_masked

        print(f"tuinews: {passwords_masked(str(error))}", file=sys.stderr)
        # A usage mistake (commands.common.UsageError) exits 2, as argparse's own do.
        status: int = getattr(error, "exit_status", EXIT_FAILED)
        return status
    except BrokenPipeError:
        # `tuinews list | head`: the reader went away; that is not an error.
        from tuinews.commands.common import silence_stdout

        silence_stdout()
        return EXIT_OK
    except OSError as error:
        if debug:
            raise
        where = f"{error.filename}: " if error.filename else ""
        print(f"tuinews: {where}{error.strerror or error}", file=sys.stderr)
        return EXIT_FAILED


def _search_words_attached(argv: list[str]) -> list[str]:
    """`--search -word` as `--search=-word`: argparse takes a value starting with "-"
    for an option and refuses it, while leaving words out is what "-" means here."""
    fixed: list[str] = []
    words = iter(argv)
    for arg in words:
        if arg == "--search":
            value = next(words, None)
            if value is not None and value.startswith("-") and value != "--":
                fixed.append(f"--search={value}")
                continue
            fixed.append(arg)
            if value is not None:
                fixed.append(value)
            continue
        fixed.append(arg)
    return fixed


def _dispatch(argv: list[str], frame: FirstFrame | None = None) -> int:
    launch = _split_launch_args(argv)
    parser = build_parser()
    if launch is not None:
        options, sources = launch
        ns = parser.parse_args(options)
        if not sources:
            _require_config_file(ns)
        from tuinews.commands.launch import run_tui

        return run_tui(ns, sources, frame)
    ns, unknown = parser.parse_known_args(_search_words_attached(argv))
    if unknown:
        # Said by the command's own parser, whose --help lists the options it takes.
        command = getattr(parser, "commands", {}).get(ns.command, parser)
        command.error(f"unrecognized arguments: {' '.join(unknown)}")
    if ns.command is None:
        _require_config_file(ns)
        from tuinews.commands.launch import run_tui

        return run_tui(ns, [], frame)
    if _reads_subscriptions(ns):
        _require_config_file(ns)
    handler = _handler(ns.command)
    from tuinews.commands.common import name_stdout_in_errors

    name_stdout_in_errors()
    if ns.command != "refresh":  # a refresh has more to load: it says when it is done
        from tuinews import startup

        startup.loaded()
    status = handler(ns)
    # Here, not at exit, where a failure could no longer be said nor change the status.
    sys.stdout.flush()
    return status


def _reads_subscriptions(ns: argparse.Namespace) -> bool:
    """Does the command work on the subscriptions or the store? Not `add` and `import`,
    which create the settings file, nor `list`/`read` of sources given by name."""
    if ns.command in ("add", "import"):
        return False
    if ns.command == "list":
        return not ns.sources
    if ns.command == "read":
        from tuinews.commands.common import is_source_ref

        return not is_source_ref(ns.source)
    return True


def _require_config_file(ns: argparse.Namespace) -> None:
    from tuinews.commands.common import require_config_file

    require_config_file(ns)


def _handler(command: str) -> Callable[[argparse.Namespace], int]:
    import importlib

    module_name, function_name = _HANDLERS[command]
    module = importlib.import_module(f"tuinews.commands.{module_name}")
    handler: Callable[[argparse.Namespace], int] = getattr(module, function_name)
    return handler
