"""The `digest` command: runs the command its arguments name, prints diagnostics, picks the
exit code. The arguments are parsed by cli_parser.py, which with this module is the only one
that prints errors or exits (usage errors, --help, --version)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from . import cli_parser, orphans
from .cli_parser import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from .console import NORMAL, QUIET, VERBOSE, print_diagnostics, progress_for
from .errors import Diagnostic, DigestError

if TYPE_CHECKING:
    from .ingest import IngestResult


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


def _parser() -> argparse.ArgumentParser:
    """The parser (cli_parser.py), each command run by its function here."""
    return cli_parser.parser(
        {
            "new": _cmd_new,
            "upgrade-pin": _cmd_upgrade_pin,
            "build": _cmd_build,
            "ingest": _cmd_ingest,
            "serve": _cmd_serve,
            "deploy": _cmd_deploy,
            "check": _cmd_check,
        }
    )


if __name__ == "__main__":
    sys.exit(main())
