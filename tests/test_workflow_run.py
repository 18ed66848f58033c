"""The Pages workflow, run as GitHub's runner would run it, as far as that can be done here.

A site made by `digest new`, with two seed listings, is committed to a git repository; then
the build job's steps run in order: each `run:` step as written, in bash, in a fresh virtual
environment, and each action replaced by what it does (checkout: a clone; setup-python: the
virtual environment; configure-pages: the project site's address; upload-pages-artifact: the
folder it would upload). The uploaded site is then served under /repo/, as GitHub Pages
serves a project site, 404.html for any missing path; every internal link of every page must
resolve there, the 404 page's included when it is served at /repo/missing/deep/.

Slow (a minute or so): the install step installs the generator's wheel and its dependencies
into an empty environment, from the package index pip is configured with."""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest
import yaml

from generator.scaffold import new_site

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / "generator" / "scaffold" / "pages.yml"
SEEDS = ("001_c63e4098a0858a32.txt", "002_541317f0a3fafbd0.txt")
PAGES = "https://owner.github.io/repo"  # configure-pages' base_url: no trailing slash
PREFIX = "/repo/"
EXPRESSION = re.compile(r"\$\{\{\s*steps\.([\w-]+)\.outputs\.([\w-]+)\s*\}\}")

pytestmark = [
    pytest.mark.timeout(900),
    pytest.mark.skipif(shutil.which("git") is None, reason="needs git"),
]


@dataclass
class Runner:
    """The state of one job: its workspace, the environment, step outputs, and timings."""

    home: Path
    workspace: Path
    env: dict[str, str]
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)
    uploaded: Path | None = None
    seconds: dict[str, float] = field(default_factory=dict)

    def expand(self, text: str) -> str:
        def value(match: re.Match[str]) -> str:
            return self.outputs[match[1]][match[2]]

        expanded = EXPRESSION.sub(value, text)
        assert "${{" not in expanded, f"an expression the test cannot evaluate: {text}"
        return expanded


def git(cwd: Path, *args: str) -> str:
    identity = ["-c", "user.name=Site Owner", "-c", "user.email=owner@example.org"]
    proc = subprocess.run(
        ["git", *identity, *args], cwd=cwd, check=True, capture_output=True, text=True
    )
    return proc.stdout.strip()


def make_repository(home: Path) -> Path:
    """What the user pushes: `digest new`, two seed listings instead of the sample, a commit."""
    site = home / "mysite"
    new_site(site)
    listings = site / "content" / "listings"
    (listings / "digest-sample.txt").unlink()
    for name in SEEDS:
        shutil.copy(ROOT / "content" / "listings" / name, listings / name)
    git(site, "init", "-q", "-b", "main")
    git(site, "add", "-A")
    git(site, "commit", "-q", "-m", "my digest")
    return site


def checkout(runner: Runner, step: dict[str, Any]) -> None:
    git(runner.home, "clone", "-q", str(runner.home / "mysite"), str(runner.workspace))


def setup_python(runner: Runner, step: dict[str, Any]) -> None:
    wanted = tuple(map(int, str(step["with"]["python-version"]).split(".")))
    assert wanted >= (3, 11), "the generator needs Python 3.11"
    venv = runner.home / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    runner.env["PATH"] = f"{venv / 'bin'}{os.pathsep}{runner.env['PATH']}"
    runner.env["VIRTUAL_ENV"] = str(venv)
    assert (runner.workspace / step["with"]["cache-dependency-path"]).is_file()


def configure_pages(runner: Runner, step: dict[str, Any]) -> None:
    runner.outputs[step["id"]] = {"base_url": PAGES, "base_path": "/repo", "origin": PAGES[:-5]}


def upload_pages_artifact(runner: Runner, step: dict[str, Any]) -> None:
    runner.uploaded = runner.workspace / step["with"]["path"]
    assert (runner.uploaded / "index.html").is_file()


ACTIONS: dict[str, Callable[[Runner, dict[str, Any]], None]] = {
    "actions/checkout": checkout,
    "actions/setup-python": setup_python,
    "actions/configure-pages": configure_pages,
    "actions/upload-pages-artifact": upload_pages_artifact,
}


def run_step(runner: Runner, step: dict[str, Any]) -> None:
    """A `run:` step as the runner runs it: bash -e -o pipefail, in the workspace."""
    env = {**runner.env, **{k: runner.expand(str(v)) for k, v in step.get("env", {}).items()}}
    script = runner.expand(step["run"])
    started = time.perf_counter()
    proc = subprocess.run(
        ["bash", "--noprofile", "--norc", "-e", "-o", "pipefail", "-c", script],
        cwd=runner.workspace,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    runner.seconds[step["name"]] = time.perf_counter() - started
    assert proc.returncode == 0, f"{step['name']} failed:\n{proc.stdout}\n{proc.stderr}"


def run_build_job(home: Path) -> Runner:
    job = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))["jobs"]["build"]
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env.pop("VIRTUAL_ENV", None)
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["CI"] = "true"  # as on GitHub's runner: no progress display
    runner = Runner(home, home / "workspace", env)
    for step in job["steps"]:
        if "uses" in step:
            ACTIONS[step["uses"].split("@")[0]](runner, step)
        else:
            run_step(runner, step)
    return runner


# -- GitHub Pages, here --------------------------------------------------------


class ProjectSite(SimpleHTTPRequestHandler):
    """Serves its folder under /repo/ only; a missing path gets the site's 404.html."""

    def translate_path(self, path: str) -> str:
        if not path.startswith(PREFIX):
            return str(Path(self.directory) / "__outside_the_project_site__")
        return super().translate_path("/" + path.removeprefix(PREFIX))

    def send_error(self, code: int, message: str | None = None, explain: str | None = None):
        page = Path(self.directory) / "404.html"
        if code != 404 or not page.is_file():
            return super().send_error(code, message, explain)
        body = page.read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        return None

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> Runner:
    home = tmp_path_factory.mktemp("runner")
    make_repository(home)
    runner = run_build_job(home)
    total = sum(runner.seconds.values())
    timings = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in runner.seconds.items())
    print(f"\nworkflow run steps: {total:.1f} s ({timings})")
    return runner


@pytest.fixture(scope="module")
def served(ran: Runner) -> Iterator[str]:
    assert ran.uploaded is not None
    handler = functools.partial(ProjectSite, directory=str(ran.uploaded))
    with ThreadingHTTPServer(("127.0.0.1", 0), handler) as httpd:
        thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{httpd.server_address[1]}{PREFIX}"
        finally:
            httpd.shutdown()


class Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.base: str | None = None
        self.refs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value for name, value in attrs if value}
        if tag == "base" and "href" in values:
            self.base = values["href"]
        self.refs += [values[name] for name in ("href", "src") if name in values]
        for candidate in values.get("srcset", "").split(","):
            if candidate.strip():
                self.refs.append(candidate.split()[0])


def fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def internal_links(page_url: str, html: str, served: str) -> Iterator[str]:
    """The page's links that stay on the site, as URLs of the local server."""
    parser = Refs()
    parser.feed(html)
    base = urljoin(page_url, parser.base or "")
    for ref in parser.refs:
        if ref.startswith("#"):
            continue
        url = urldefrag(urljoin(base, ref)).url
        if url.startswith(PAGES + "/"):  # an absolute link to the published site
            url = served + url.removeprefix(PAGES + "/")
        if urlsplit(url).netloc in (urlsplit(served).netloc, "owner.github.io"):
            yield url


def broken_links(pages: dict[str, str], served: str) -> list[str]:
    status: dict[str, int] = {}
    broken = []
    for page_url, html in pages.items():
        for url in internal_links(page_url, html, served):
            if not urlsplit(url).path.startswith(PREFIX):
                broken.append(f"{page_url}: {url} leaves {PREFIX}")
                continue
            if url not in status:
                status[url] = fetch(url)[0]
            if status[url] != 200:
                broken.append(f"{page_url}: {url} -> {status[url]}")
    assert status, "no internal links found"
    return broken


def test_the_build_succeeds_and_uploads_the_seed_site(ran: Runner) -> None:
    assert ran.uploaded is not None
    papers = list((ran.uploaded / "papers").glob("*/index.html"))
    assert len(papers) > 20
    assert (ran.uploaded / "404.html").is_file()
    assert set(ran.seconds) == {"Install the generator", "Build"}


def test_the_installed_generator_is_the_pinned_wheel(ran: Runner) -> None:
    venv = Path(ran.env["VIRTUAL_ENV"])
    code = (
        "import generator, importlib.metadata as m; print(generator.__file__); "
        "print(m.distribution('paper-digest-ssg').read_text('direct_url.json'))"
    )
    out = subprocess.run(
        [str(venv / "bin" / "python"), "-c", code],
        cwd=ran.workspace,
        env=ran.env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert out[0].startswith(str(venv))
    wheel = ran.workspace / ".digest" / "paper_digest_ssg-0.1.0-py3-none-any.whl"
    assert wheel.as_uri() in out[1]


def test_every_internal_link_resolves_under_the_sub_path(ran: Runner, served: str) -> None:
    assert ran.uploaded is not None
    pages = {}
    for path in sorted(ran.uploaded.rglob("*.html")):
        relative = path.relative_to(ran.uploaded).as_posix()
        if relative == "404.html":
            continue
        url = served + relative.removesuffix("index.html")
        code, body = fetch(url)
        assert code == 200, url
        pages[url] = body.decode("utf-8")
    assert broken_links(pages, served) == []


def test_the_404_page_works_at_any_depth(ran: Runner, served: str) -> None:
    missing = served + "missing/deep/"
    code, body = fetch(missing)
    assert code == 404
    html = body.decode("utf-8")
    assert "Page not found" in html
    links = list(internal_links(missing, html, served))
    assert any(link.endswith(".css") for link in links), links
    assert served in links  # the home page
    assert broken_links({missing: html}, served) == []


def test_absolute_urls_are_the_project_site(ran: Runner) -> None:
    assert ran.uploaded is not None
    sitemap = (ran.uploaded / "sitemap.xml").read_text(encoding="utf-8")
    locs = re.findall(r"<loc>([^<]+)</loc>", sitemap)
    assert locs and all(loc.startswith(PAGES + "/") for loc in locs)
    feed = (ran.uploaded / "feed.xml").read_text(encoding="utf-8")
    assert "127.0.0.1" not in feed and f"{PAGES}/" in feed
