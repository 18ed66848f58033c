"""The `digest` command: parses arguments, runs a command, prints diagnostics, picks the exit
code. The only module that prints errors or exits."""

from __future__ import annotations

import argparse
import sys
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from . import orphans
from .errors import Diagnostic, DigestError, error, printable

if TYPE_CHECKING:
    from .ingest import IngestResult

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return int(args.run(args))
    except DigestError as exc:
        report(exc.diagnostics)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
        return EXIT_FAILED


def report(diagnostics: Sequence[Diagnostic], *, quiet_info: bool = False) -> None:
    for diag in diagnostics:
        if diag.level == "info":
            if not quiet_info:
                print(printable(f"note: {diag.location()}: {diag.message}"), file=sys.stderr)
        else:
            print(printable(diag.format()), file=sys.stderr)


def finish(diagnostics: Sequence[Diagnostic], strict: bool, ok: bool = True) -> int:
    """Exit status: errors fail; warnings fail under --strict."""
    if not ok or any(d.level == "error" for d in diagnostics):
        return EXIT_FAILED
    if strict and any(d.level == "warning" for d in diagnostics):
        print("failing: warnings are errors under --strict", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


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
    report([*notes, *result.diagnostics])
    verb = "would write" if args.dry_run else "wrote"
    for slug in result.new:
        print(f"new      content/papers/{slug}.md")
    for slug in result.updated:
        print(f"updated  content/papers/{slug}.md")
    if args.prune:
        _prune(root, result, args.dry_run)
    elif result.orphans:
        report([d for d in [orphans.summary(result.orphans)] if d])
    if args.dry_run and (result.new or result.updated or args.prune):
        print(f"(dry run: {verb} nothing)")
    print(result.summary())
    return finish([*notes, *result.diagnostics], args.strict)


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
    result = build_site(
        root,
        config_path=config_path,
        output=Path(args.output) if args.output else None,
        base_url=args.base_url,
        strict=args.strict,
        clean=args.clean,
        jobs=args.jobs,
        progress=sys.stderr.isatty(),
        force=args.force,
    )
    report(result.diagnostics)
    print(result.summary())
    return finish(result.diagnostics, args.strict, result.ok)


def _cmd_serve(args: argparse.Namespace) -> int:
    from .serve import serve

    if not 0 <= args.port <= 65535:  # the socket module raised OverflowError: a traceback
        message = f"--port {args.port}: a port is a number from 0 to 65535"
        report([error("digest serve", None, message, "0 picks a free one")])
        return EXIT_USAGE
    root, config_path = _root(args)
    return serve(root, config_path, host=args.host, port=args.port, poll=args.poll)


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
    )
    # Everything that can refuse the deploy is checked before the build.
    target = open_target(root, options)
    url, notes = site_url(config.base_url, target, config_path.name)
    report(notes)
    result = build_site(root, config_path=config_path, base_url=url, strict=args.strict)
    report(result.diagnostics)
    if finish(result.diagnostics, args.strict, result.ok) != EXIT_OK:
        print("not deploying: the build failed", file=sys.stderr)
        return EXIT_FAILED
    outcome, notes = publish(target, result.output, url)
    report(notes)
    print(outcome.message)
    return EXIT_OK


def _cmd_check(args: argparse.Namespace) -> int:
    from .check import check_site

    root, config_path = _root(args)
    diagnostics, summary = check_site(root, config_path, Path(args.output) if args.output else None)
    report(diagnostics)
    print(summary)
    return finish(diagnostics, strict=False)


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


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="digest", description="Research-paper digest sites.")
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")

    def command(
        name: str, run: Callable[[argparse.Namespace], int], text: str, epilog: str | None = None
    ):
        cmd = sub.add_parser(
            name,
            help=text,
            description=text,
            epilog=epilog,
            formatter_class=_Formatter,
        )
        cmd.set_defaults(run=run)
        if name not in ("new", "upgrade-pin"):
            cmd.add_argument("-c", "--config", default="digest.yaml", help="configuration file")
        return cmd

    new = command("new", _cmd_new, "scaffold a new digest site in DIR", PIN_HELP)
    new.add_argument("dir")

    upgrade = command(
        "upgrade-pin",
        _cmd_upgrade_pin,
        "pin the generator installed here in a site's requirements.txt",
        PIN_HELP,
    )
    upgrade.add_argument("dir", nargs="?", default=".", help="the site (default: here)")

    build = command("build", _cmd_build, "ingest the listings, then render the site")
    build.add_argument("-o", "--output", help="output folder (default: site/)")
    build.add_argument("--base-url", type=_base_url, help="the URL the site is served from")
    build.add_argument("--strict", action="store_true", help="fail on warnings")
    build.add_argument("--clean", action="store_true", help="ignore the build cache")
    build.add_argument("--jobs", type=int, default=0, help="render processes (0: all cores)")
    build.add_argument(
        "--force", action="store_true", help="build into a folder of files this site did not make"
    )

    ingest = command("ingest", _cmd_ingest, "turn listings into records and say what changed")
    ingest.add_argument("--dry-run", action="store_true", help="write nothing")
    ingest.add_argument(
        "--prune",
        action="store_true",
        help="remove the records no listing yields any more that you never edited",
    )
    ingest.add_argument("--strict", action="store_true", help="fail on warnings")
    ingest.add_argument("files", nargs="*", metavar="FILE")

    serve = command("serve", _cmd_serve, "build, serve and rebuild on change with live reload")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--poll", action="store_true", help="poll for changes (no inotify)")

    deploy = command("deploy", _cmd_deploy, "build and publish to the GitHub Pages branch")
    deploy.add_argument("--remote", help="git remote to push to (default: origin)")
    deploy.add_argument("--branch", help="Pages branch (default: gh-pages)")
    deploy.add_argument("--cname", help="custom domain: written to CNAME, and the site's address")
    deploy.add_argument("--dry-run", action="store_true", help="say what would be pushed")
    deploy.add_argument("--force", action="store_true", help="overwrite a foreign Pages branch")
    deploy.add_argument("--strict", action="store_true")

    check = command("check", _cmd_check, "validate records and check every internal link")
    check.add_argument("-o", "--output", help="built site folder (default: site/)")
    return parser


if __name__ == "__main__":
    sys.exit(main())
