"""The `digest` command's arguments: the argparse parser, its commands and their options,
and the checks of --port, --jobs and --base-url (a bad value is a usage error, exit 2).

Tests: tests/test_cli.py, tests/test_console.py"""

from __future__ import annotations

import argparse
import textwrap
from collections.abc import Callable, Mapping, Sequence
from typing import NoReturn

from .console import NORMAL, QUIET, VERBOSE

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

DISTRIBUTION = "paper-digest-ssg"

Run = Callable[[argparse.Namespace], int]

PIN_HELP = """\
The site's requirements.txt, which its GitHub Pages workflow installs, pins the
generator you run (it is not on PyPI): when installed from a git URL, that URL at
the installed commit; otherwise a wheel of it, written to the site's .digest/
folder, to commit with the site. `digest upgrade-pin` in the site refreshes the
pin after you update the generator. Once the project publishes releases on PyPI,
replace the line with a version pin (paper-digest-ssg==X.Y) and delete .digest/.
"""


def port(value: str) -> int:
    """--port: a usage error, not a traceback (OverflowError) nor a search of 20 ports
    from 99999 up for a free one."""
    try:
        number = int(value, 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a port number") from None
    if not 0 <= number <= 65535:
        raise argparse.ArgumentTypeError(
            f"{value} is not a port: give 1 to 65535 (0: any free one)"
        )
    return number


def jobs(value: str) -> int:
    try:
        number = int(value, 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of processes") from None
    if number < 0:
        raise argparse.ArgumentTypeError(f"{value} processes: give 1 or more (0: one per core)")
    return number


def base_url(value: str) -> str:
    """--base-url, checked as digest.yaml's base_url is: a bad one is a usage error."""
    from .urls import BASE_URL_HINT, base_url_problem

    problem = base_url_problem(value)
    if problem:
        raise argparse.ArgumentTypeError(f"{problem} ({BASE_URL_HINT})")
    return value


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Adds to PIN_HELP which pin applies here, only when help is shown: reading the
    installed metadata costs every command tens of milliseconds."""

    def add_text(self, text: str | None) -> None:
        if text == PIN_HELP:
            from .pin import installed_from

            text = PIN_HELP + "\n" + textwrap.fill(installed_from(), 80)
        super().add_text(text)


class _Parser(argparse.ArgumentParser):
    """A usage error is two lines: the usage on one line, then what was wrong; exit 2."""

    def error(self, message: str) -> NoReturn:
        formatter = self.formatter_class(prog=self.prog, width=10_000)
        formatter.add_usage(self.usage, self._actions, self._mutually_exclusive_groups)
        self.exit(EXIT_USAGE, f"{formatter.format_help().strip()}\n{self.prog}: error: {message}\n")


class _Version(argparse.Action):
    """--version, read from the installed package's metadata only when asked."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: object) -> None:
        super().__init__(option_strings, dest, nargs=0, help="show the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *args: object) -> None:
        from importlib.metadata import PackageNotFoundError, version

        try:
            found = version(DISTRIBUTION)
        except PackageNotFoundError:
            found = "unknown (not installed: run `pip install -e .`)"
        print(f"digest {found}")
        parser.exit(EXIT_OK)


def parser(runs: Mapping[str, Run]) -> argparse.ArgumentParser:
    """The parser of `digest`; `runs` maps each command's name to the function that runs it
    (its `args.run`)."""
    top = _Parser(
        prog="digest",
        description="Research-paper digest sites: listings in, a static site out.",
        epilog="`digest COMMAND -h` shows a command's options.",
    )
    top.add_argument("-V", "--version", action=_Version)
    sub = top.add_subparsers(title="commands", metavar="COMMAND", parser_class=_Parser)

    def command(name: str, text: str, epilog: str | None = None) -> argparse.ArgumentParser:
        return _command(sub, name, runs[name], text, epilog)

    new = command("new", "scaffold a new digest site in DIR", PIN_HELP)
    new.add_argument("dir", metavar="DIR", help="the folder to create (must be empty or new)")
    text = "pin the generator installed here in a site's requirements.txt"
    upgrade = command("upgrade-pin", text, PIN_HELP)
    upgrade.add_argument("dir", nargs="?", default=".", help="the site (default: here)")
    _build_options(command("build", "ingest the listings, then render the site"))
    _ingest_options(command("ingest", "turn listings into records and say what changed"))
    _serve_options(command("serve", "build, serve and rebuild on change with live reload"))
    _deploy_options(command("deploy", "build and publish to the GitHub Pages branch"))
    check = command("check", "validate records and check every internal link")
    check.add_argument("-o", "--output", metavar="DIR", help="built site folder (default: site/)")
    return top


def _command(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    run: Run,
    text: str,
    epilog: str | None,
) -> argparse.ArgumentParser:
    """A command, with -c, -q and -v unless it makes or pins a site rather than reads one."""
    cmd = sub.add_parser(
        name, help=text, description=text, epilog=epilog, formatter_class=_Formatter
    )
    cmd.set_defaults(run=run, verbosity=NORMAL, parser=cmd)
    if name not in ("new", "upgrade-pin"):
        cmd.add_argument(
            "-c",
            "--config",
            default="digest.yaml",
            metavar="FILE",
            help="the site's configuration; its folder is the site (default: digest.yaml)",
        )
        loud = cmd.add_mutually_exclusive_group()
        _verbosity(loud, "-q", "--quiet", QUIET, "print only errors")
        text = "print every warning and note, and each stage's time"
        _verbosity(loud, "-v", "--verbose", VERBOSE, text)
    return cmd


def _verbosity(
    group: argparse._MutuallyExclusiveGroup, short: str, long: str, level: int, text: str
) -> None:
    group.add_argument(short, long, dest="verbosity", action="store_const", const=level, help=text)


def _flag(cmd: argparse.ArgumentParser, name: str, text: str) -> None:
    """An option that is on or off (--strict, --dry-run, --force, ...)."""
    cmd.add_argument(name, action="store_true", help=text)


def _build_options(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument("-o", "--output", metavar="DIR", help="output folder (default: site/)")
    cmd.add_argument(
        "--base-url", type=base_url, metavar="URL", help="the URL the site is served from"
    )
    _flag(cmd, "--strict", "fail (exit 1) on any warning")
    _flag(cmd, "--clean", "ignore the build cache: draw every page again")
    _flag(cmd, "--drafts", "include the papers marked `draft: true`, each shown as a draft")
    cmd.add_argument(
        "--jobs", type=jobs, default=0, metavar="N", help="render processes (default 0: all cores)"
    )
    _flag(cmd, "--force", "build into a folder of files this site did not make")


def _ingest_options(cmd: argparse.ArgumentParser) -> None:
    _flag(cmd, "--dry-run", "say what would change; write nothing")
    _flag(cmd, "--prune", "remove the records no listing yields any more that you never edited")
    _flag(cmd, "--strict", "fail (exit 1) on any warning")
    cmd.add_argument(
        "files", nargs="*", metavar="FILE", help="listings to read (default: every listing)"
    )


def _serve_options(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default: 127.0.0.1, this machine only)",
    )
    cmd.add_argument(
        "--port",
        type=port,
        default=8000,
        help="port to listen on, 1 to 65535 (default: 8000, or the next free one; 0: any)",
    )
    _flag(cmd, "--poll", "poll for changes (where file events do not arrive)")
    _flag(cmd, "--open", "open the site in the browser once it is built")


def _deploy_options(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument("--remote", help="git remote to push to (default: origin)")
    cmd.add_argument("--branch", help="Pages branch (default: gh-pages)")
    cmd.add_argument(
        "--cname", metavar="HOST", help="custom domain: written to CNAME, and the site's address"
    )
    cmd.add_argument(
        "-m", "--message", help="the commit's message (default: names the commit built from)"
    )
    _flag(cmd, "--dry-run", "say what would be pushed")
    _flag(cmd, "--force", "overwrite a foreign Pages branch")
    _flag(cmd, "--strict", "do not deploy when the build has warnings")
