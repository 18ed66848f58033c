"""The `digest` command: parses arguments, runs a command, prints diagnostics, picks the exit
code. The only module that prints errors or exits."""

from __future__ import annotations

import argparse
import sys
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from . import orphans
from .console import NORMAL, QUIET, VERBOSE, print_diagnostics, progress_for
from .errors import Diagnostic, DigestError

if TYPE_CHECKING:
    from .ingest import IngestResult

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


DISTRIBUTION = "paper-digest-ssg"


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    # --help, --version and usage errors exit here (SystemExit), as argparse does
    args, extra = parser.parse_known_args(argv)
    if extra:  # named with the command's usage, not the top level's
        getattr(args, "parser", parser).error(f"unrecognized arguments: {' '.join(extra)}")
    if not getattr(args, "run", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return int(args.run(args))
    except DigestError as exc:
        report(exc.diagnostics, args.verbosity)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
        return EXIT_FAILED


def report(diagnostics: Sequence[Diagnostic], verbosity: int = NORMAL) -> None:
    """Diagnostics on stderr, grouped by file and kind unless -v (console.py)."""
    print_diagnostics(diagnostics, verbosity)


def finish(diagnostics: Sequence[Diagnostic], strict: bool, ok: bool = True) -> int:
    """Exit status: errors fail; warnings fail under --strict."""
    if not ok or any(d.level == "error" for d in diagnostics):
        return EXIT_FAILED
    if strict and any(d.level == "warning" for d in diagnostics):
        print("failing: warnings are errors under --strict", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def conclude(
    diagnostics: Sequence[Diagnostic],
    summary: str,
    args: argparse.Namespace,
    ok: bool = True,
    stages: str = "",
) -> int:
    """Report, then (with -v) the stages' times, then the exit status's reason, then the
    summary: always the last line (but under -q, which prints only errors)."""
    report(diagnostics, args.verbosity)
    if stages and args.verbosity >= VERBOSE:
        print(stages, file=sys.stderr)
    status = finish(diagnostics, getattr(args, "strict", False), ok)
    if args.verbosity > QUIET:
        sys.stderr.flush()
        print(summary, flush=True)
    return status


def _root(args: argparse.Namespace) -> tuple[Path, Path]:
    config = Path(args.config)
    return config.resolve().parent, config


def _cmd_ingest(args: argparse.Namespace) -> int:
    from .config import load_config
    from .ingest import ingest

    root, config_path = _root(args)
    config, notes = load_config(config_path)
    files = [Path(f) for f in args.files] or None
    if args.prune and files:
        print("digest ingest: --prune reads every listing; give no FILE with it", file=sys.stderr)
        return EXIT_USAGE
    result = ingest(root, config, files, dry_run=args.dry_run)
    shown = args.verbosity > QUIET
    verb = "would write" if args.dry_run else "wrote"
    for slug in result.new if shown else ():
        print(f"new      content/papers/{slug}.md")
    for slug in result.updated if shown else ():
        print(f"updated  content/papers/{slug}.md")
    diagnostics = [*notes, *result.diagnostics]
    if args.prune:
        _prune(root, result, args.dry_run)
    elif result.orphans:
        diagnostics += [d for d in [orphans.summary(result.orphans)] if d]
    if shown and args.dry_run and (result.new or result.updated or args.prune):
        print(f"(dry run: {verb} nothing)")
    return conclude(diagnostics, result.summary(), args)


def _prune(root: Path, result: IngestResult, dry_run: bool) -> None:
    pruned = orphans.prune(root, result.records, result.orphans, dry_run)
    verb = "would remove" if dry_run else "removed"
    for slug in pruned.removed:
        print(f"{verb:<13}content/papers/{slug}.md")
    for slug in pruned.kept:
        print(f"{'kept (edited)':<13} content/papers/{slug}.md")
    print(
        f"prune: {len(pruned.removed)} orphan records {verb}, {len(pruned.kept)} kept because "
        "you edited them (delete those by hand, or set `draft: true`)"
    )


def _cmd_build(args: argparse.Namespace) -> int:
    from .build import build_site

    root, config_path = _root(args)
    with progress_for(args.verbosity) as progress:
        result = build_site(
            root,
            config_path=config_path,
            output=Path(args.output) if args.output else None,
            base_url=args.base_url,
            clean=args.clean,
            jobs=args.jobs,
            progress=progress,
            force=args.force,
            drafts=args.drafts,
        )
    return conclude(result.diagnostics, result.summary(), args, result.ok, result.stages())


def _cmd_serve(args: argparse.Namespace) -> int:
    from .serve import serve

    root, config_path = _root(args)
    return serve(
        root,
        config_path,
        host=args.host,
        port=args.port,
        poll=args.poll,
        open_browser=args.open,
        verbosity=args.verbosity,
    )


def _cmd_deploy(args: argparse.Namespace) -> int:
    from .build import build_site
    from .config import load_config
    from .deploy import DeployOptions, open_target, publish, site_url

    root, config_path = _root(args)
    config, _ = load_config(config_path)  # its warnings are reported with the build's
    options = DeployOptions(
        remote=args.remote or config.remote,
        branch=args.branch or config.branch,
        cname=args.cname or config.cname,
        dry_run=args.dry_run,
        force=args.force,
        message=args.message,
    )
    # Everything that can refuse the deploy is checked before the build.
    target = open_target(root, options)
    url, notes = site_url(config.base_url, target, config_path.name)
    report(notes, args.verbosity)
    with progress_for(args.verbosity) as progress:
        result = build_site(root, config_path=config_path, base_url=url, progress=progress)
    report(result.diagnostics, args.verbosity)
    if finish(result.diagnostics, args.strict, result.ok) != EXIT_OK:
        print("not deploying: the build failed", file=sys.stderr)
        return EXIT_FAILED
    outcome, notes = publish(target, result.output, url)
    report(notes, args.verbosity)
    if args.verbosity > QUIET:
        print(outcome.message)
    return EXIT_OK


def _cmd_check(args: argparse.Namespace) -> int:
    from .check import check_site

    root, config_path = _root(args)
    output = Path(args.output) if args.output else None
    diagnostics, summary = check_site(root, config_path, output)
    return conclude(diagnostics, summary, args)


def _cmd_new(args: argparse.Namespace) -> int:
    from .scaffold import new_site

    for line in new_site(Path(args.dir)):
        print(line)
    return EXIT_OK


def _cmd_upgrade_pin(args: argparse.Namespace) -> int:
    from .pin import upgrade
    from .scaffold import workflow_note

    for line in upgrade(Path(args.dir)):
        print(line)
    note = workflow_note(Path(args.dir))
    if note:
        print(note, file=sys.stderr)
    return EXIT_OK


def _port(value: str) -> int:
    """--port: a usage error, not a traceback (OverflowError) nor a search of 20 ports
    from 99999 up for a free one."""
    try:
        port = int(value, 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a port number") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(
            f"{value} is not a port: give 1 to 65535 (0: any free one)"
        )
    return port


def _jobs(value: str) -> int:
    try:
        jobs = int(value, 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of processes") from None
    if jobs < 0:
        raise argparse.ArgumentTypeError(f"{value} processes: give 1 or more (0: one per core)")
    return jobs


def _base_url(value: str) -> str:
    """--base-url, checked as digest.yaml's base_url is: a bad one is a usage error."""
    from .urls import BASE_URL_HINT, base_url_problem

    problem = base_url_problem(value)
    if problem:
        raise argparse.ArgumentTypeError(f"{problem} ({BASE_URL_HINT})")
    return value


PIN_HELP = """\
The site's requirements.txt, which its GitHub Pages workflow installs, pins the
generator you run (it is not on PyPI): when installed from a git URL, that URL at
the installed commit; otherwise a wheel of it, written to the site's .digest/
folder, to commit with the site. `digest upgrade-pin` in the site refreshes the
pin after you update the generator. Once the project publishes releases on PyPI,
replace the line with a version pin (paper-digest-ssg==X.Y) and delete .digest/.
"""


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


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="digest",
        description="Research-paper digest sites: listings in, a static site out.",
        epilog="`digest COMMAND -h` shows a command's options.",
    )
    parser.add_argument("-V", "--version", action=_Version)
    sub = parser.add_subparsers(title="commands", metavar="COMMAND", parser_class=_Parser)

    def command(
        name: str, run: Callable[[argparse.Namespace], int], text: str, epilog: str | None = None
    ) -> argparse.ArgumentParser:
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
            loud.add_argument(
                "-q",
                "--quiet",
                dest="verbosity",
                action="store_const",
                const=QUIET,
                help="print only errors",
            )
            loud.add_argument(
                "-v",
                "--verbose",
                dest="verbosity",
                action="store_const",
                const=VERBOSE,
                help="print every warning and note, and each stage's time",
            )
        return cmd

    new = command("new", _cmd_new, "scaffold a new digest site in DIR", PIN_HELP)
    new.add_argument("dir", metavar="DIR", help="the folder to create (must be empty or new)")

    upgrade = command(
        "upgrade-pin",
        _cmd_upgrade_pin,
        "pin the generator installed here in a site's requirements.txt",
        PIN_HELP,
    )
    upgrade.add_argument("dir", nargs="?", default=".", help="the site (default: here)")

    build = command("build", _cmd_build, "ingest the listings, then render the site")
    build.add_argument("-o", "--output", metavar="DIR", help="output folder (default: site/)")
    build.add_argument(
        "--base-url", type=_base_url, metavar="URL", help="the URL the site is served from"
    )
    build.add_argument("--strict", action="store_true", help="fail (exit 1) on any warning")
    build.add_argument(
        "--clean", action="store_true", help="ignore the build cache: draw every page again"
    )
    build.add_argument(
        "--drafts",
        action="store_true",
        help="include the papers marked `draft: true`, each shown as a draft",
    )
    build.add_argument(
        "--jobs", type=_jobs, default=0, metavar="N", help="render processes (default 0: all cores)"
    )
    build.add_argument(
        "--force", action="store_true", help="build into a folder of files this site did not make"
    )

    ingest = command("ingest", _cmd_ingest, "turn listings into records and say what changed")
    ingest.add_argument(
        "--dry-run", action="store_true", help="say what would change; write nothing"
    )
    ingest.add_argument(
        "--prune",
        action="store_true",
        help="remove the records no listing yields any more that you never edited",
    )
    ingest.add_argument("--strict", action="store_true", help="fail (exit 1) on any warning")
    ingest.add_argument(
        "files", nargs="*", metavar="FILE", help="listings to read (default: every listing)"
    )

    serve = command("serve", _cmd_serve, "build, serve and rebuild on change with live reload")
    serve.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default: 127.0.0.1, this machine only)",
    )
    serve.add_argument(
        "--port",
        type=_port,
        default=8000,
        help="port to listen on, 1 to 65535 (default: 8000, or the next free one; 0: any)",
    )
    serve.add_argument(
        "--poll", action="store_true", help="poll for changes (where file events do not arrive)"
    )
    serve.add_argument(
        "--open", action="store_true", help="open the site in the browser once it is built"
    )

    deploy = command("deploy", _cmd_deploy, "build and publish to the GitHub Pages branch")
    deploy.add_argument("--remote", help="git remote to push to (default: origin)")
    deploy.add_argument("--branch", help="Pages branch (default: gh-pages)")
    deploy.add_argument(
        "--cname", metavar="HOST", help="custom domain: written to CNAME, and the site's address"
    )
    deploy.add_argument(
        "-m", "--message", help="the commit's message (default: names the commit built from)"
    )
    deploy.add_argument("--dry-run", action="store_true", help="say what would be pushed")
    deploy.add_argument("--force", action="store_true", help="overwrite a foreign Pages branch")
    deploy.add_argument(
        "--strict", action="store_true", help="do not deploy when the build has warnings"
    )

    check = command("check", _cmd_check, "validate records and check every internal link")
    check.add_argument("-o", "--output", metavar="DIR", help="built site folder (default: site/)")
    return parser


if __name__ == "__main__":
    sys.exit(main())
