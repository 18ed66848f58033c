"""The build pipeline: config → listings → records → site model → render → write → search."""

from __future__ import annotations

import dataclasses
import fcntl
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .config import Config, load_config
from .errors import Diagnostic, DigestError
from .exports import exports
from .ingest import ingest
from .markup import highlight_css
from .render import Renderer, make_env, make_view, plan, theme_dirs
from .search import index_site
from .site import Site, build_model
from .write import WriteStats, check_output, link_tree, staged, write_staged


@dataclass(slots=True)
class BuildResult:
    config: Config
    output: Path
    ok: bool = True
    diagnostics: list[Diagnostic] = field(default_factory=list)
    stats: WriteStats = field(default_factory=WriteStats)
    timings: dict[str, float] = field(default_factory=dict)
    papers: int = 0
    pages: int = 0

    def summary(self) -> str:
        warnings = sum(1 for d in self.diagnostics if d.level == "warning")
        errors = sum(1 for d in self.diagnostics if d.level == "error")
        total = sum(self.timings.values())
        return (
            f"built {self.papers} papers, {self.pages} pages into {self.output} in {total:.2f}s "
            f"({self.stats.written} written, {self.stats.unchanged} unchanged, "
            f"{self.stats.removed} removed); {warnings} warnings, {errors} errors"
        )


class _Timer:
    def __init__(self, timings: dict[str, float]) -> None:
        self.timings = timings

    @contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        start = time.perf_counter()
        yield
        self.timings[stage] = self.timings.get(stage, 0.0) + time.perf_counter() - start


def build_site(
    root: Path,
    *,
    config_path: Path | None = None,
    output: Path | None = None,
    base_url: str | None = None,
    strict: bool = False,
    clean: bool = False,
    jobs: int = 0,
    progress: bool = False,
    search: bool = True,
) -> BuildResult:
    """Build the site under `root`; raise DigestError only when nothing can be built."""
    root = root.resolve()
    config, notes = load_config(config_path or root / "digest.yaml")
    if base_url:
        config = dataclasses.replace(
            config, base_url=base_url if base_url.endswith("/") else base_url + "/"
        )
    out = (output or root / "site").resolve()
    check_output(root, out)
    result = BuildResult(config=config, output=out, diagnostics=list(notes))
    timed = _Timer(result.timings)
    with _lock(root):
        with timed("ingest"):
            ingested = ingest(root, config)
        result.diagnostics.extend(ingested.diagnostics)
        with timed("model"):
            site, problems = build_model(config, ingested.records.values(), ingested.listing_dates)
        result.diagnostics.extend(problems)
        result.papers = len(site.papers)
        with timed("render+write"), staged(out) as staging:
            files = render_site(root, site, result)
            result.stats = write_staged(staging, out, files)
            with timed("search"):
                if search:
                    result.diagnostics.extend(index_site(staging, out, config, result.stats))
                else:  # keep the last index: serve skips indexing to repaint fast
                    link_tree(out / "pagefind", staging / "pagefind")
    return result


def render_site(root: Path, site: Site, result: BuildResult) -> Iterator[tuple[str, bytes]]:
    """Every output file as (path, bytes), produced one at a time to bound memory."""
    yield from static_files(root, site.config)
    views = {}
    for paper in site.papers:
        view, notes = make_view(paper)
        views[paper.slug] = view
        result.diagnostics.extend(notes)
    renderer = Renderer(make_env(root, site.config), site, views)
    helpers = renderer.helpers()
    paths = []
    for page in plan(site):
        paths.append(page.path)
        yield page.path, renderer.render(page, helpers)
    result.pages = len(paths)
    yield from exports(site, paths)


def static_files(root: Path, config: Config) -> Iterator[tuple[str, bytes]]:
    """The theme's static/ files, the site's overrides winning, and the code highlighting CSS."""
    chosen: dict[str, Path] = {}
    for theme in reversed(theme_dirs(root, config)):
        static = theme / "static"
        for path in sorted(static.rglob("*")) if static.is_dir() else []:
            if path.is_file():
                chosen[path.relative_to(static).as_posix()] = path
    for relative, path in sorted(chosen.items()):
        yield f"static/{relative}", path.read_bytes()
    yield "static/highlight.css", highlight_css().encode("utf-8")


@contextmanager
def _lock(root: Path) -> Iterator[None]:
    """Two builds of one site at once take turns."""
    cache = root / ".digest-cache"
    try:
        cache.mkdir(exist_ok=True)
        handle = (cache / "build.lock").open("w")
    except OSError as exc:
        raise DigestError.at(str(cache), None, f"cannot create the build lock: {exc}") from exc
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class BuildSession:
    """Repeated builds of one site, as `digest serve` runs them: each `build()` reuses what
    the previous one computed and writes only changed files, in place."""

    def __init__(
        self, root: Path, config_path: Path, output: Path, base_url: str | None = None
    ) -> None:
        self.root, self.config_path, self.output, self.base_url = root, config_path, output, base_url

    def build(self) -> BuildResult:
        """Build again; raise DigestError (with file:line) when the site cannot be built,
        leaving the previous output as it was."""
        return build_site(
            self.root,
            config_path=self.config_path,
            output=self.output,
            base_url=self.base_url,
            search=False,
        )
