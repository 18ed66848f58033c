"""The smaller holes of issue 19: TeX commands in cite.bib, a theme that does not exist,
file names Windows reserves, and the dev server's exposure: a host other than loopback,
DNS rebinding, control characters printed to the terminal, idle connections."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest
from hostile import Tally, guarded_build, make_root

from generator.cli import main
from generator.errors import printable
from generator.serve_http import IDLE_SECONDS, _Handler, allowed_host, exposure, site_url

TEX = r"\input{/etc/passwd} \include{x} \write18{id} \openout\f=x \catcode`\^=13 \immediate"


def test_cite_bib_carries_no_tex_command(tmp_path: Path, tally: Tally) -> None:
    record = (
        f"---\ntitle: 'Title {TEX}'\nabstract: x\naffiliation: 'Lab {TEX}'\n"
        "links: ['https://example.org/a}\\input{b']\n---\n"
    )
    root = make_root(tmp_path / "site-root", records={"tex.md": record})
    tally.tried(3)
    guarded_build(root, tally)
    bib = (root / "site" / "papers" / "tex" / "cite.bib").read_text(encoding="utf-8")
    commands = set(re.findall(r"\\([A-Za-z]+)", bib))
    escapes = {"textbackslash", "textasciitilde", "textasciicircum"}  # a character each
    if commands - escapes:
        tally.note("executable_injections", f"cite.bib: {sorted(commands)}")
    assert commands <= escapes, bib
    assert bib.count("{") == bib.count("}") + bib.count("\\}") - bib.count("\\{"), bib


def test_a_theme_that_does_not_exist_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], tally: Tally
) -> None:
    for name in ("nosuchtheme", "../default"):
        root = make_root(tmp_path / name.replace("/", "_"), theme=name)
        tally.tried()
        assert main(["build", "-c", str(root / "digest.yaml")]) == 1
        err = capsys.readouterr().err
        assert f"no theme named `{name}`" in err and "default" in err, err
        assert not (root / "site" / "index.html").exists()


def test_file_names_windows_reserves_get_a_suffix(tmp_path: Path, tally: Tally) -> None:
    titles = ["CON", "aux", "Com1", "nul", "LPT9"]
    papers = [f"{t}\n\nWe study the {t} device name, paper {i}.\n\n" for i, t in enumerate(titles)]
    listing = "Daily Papers\n\nApr 30\n\n" + "".join(papers)
    root = make_root(
        tmp_path / "site-root",
        {"reserved.txt": listing.encode()},
        seed=False,
        listing_years={"reserved.txt": 2024},
    )
    tally.tried(len(titles))
    guarded_build(root, tally)
    names = sorted(p.stem for p in (root / "content" / "papers").glob("*.md"))
    assert names == ["aux-2", "com1-2", "con-2", "lpt9-2", "nul-2"], names
    reserved = re.compile(r"(con|prn|aux|nul|com\d|lpt\d)", re.IGNORECASE)
    bad = [p for p in (root / "site").rglob("*") if reserved.fullmatch(p.name.split(".")[0])]
    assert bad == []


def test_only_loopback_hosts_are_quiet_and_shown_as_they_are() -> None:
    assert exposure("127.0.0.1", 8000) is None and exposure("localhost", 8000) is None
    assert exposure("::1", 8000) is None
    for host in ("0.0.0.0", "", "::", "192.168.1.5"):
        warned = exposure(host, 8000)
        assert warned is not None and "anyone who can reach" in warned and "--host" in warned
    assert site_url("0.0.0.0", 8000) == "http://127.0.0.1:8000/"
    assert site_url("::", 8000) == "http://[::1]:8000/"
    assert site_url("192.168.1.5", 8000) == "http://192.168.1.5:8000/"


@pytest.mark.parametrize(
    ("header", "bound", "ok"),
    [
        ("127.0.0.1:8000", "127.0.0.1", True),
        ("localhost:8000", "127.0.0.1", True),
        ("[::1]:8000", "::1", True),
        ("", "127.0.0.1", True),
        ("192.168.1.5:8000", "0.0.0.0", True),
        ("evil.example:8000", "127.0.0.1", False),
        ("attacker.test", "127.0.0.1", False),
        ("my-laptop.local:8000", "my-laptop.local", True),
    ],
)
def test_a_host_header_not_of_this_server_is_refused(header: str, bound: str, ok: bool) -> None:
    assert allowed_host(header, bound) is ok


def test_control_characters_are_escaped_when_printed() -> None:
    assert printable("GET /\x1b[2J\x1b]0;pwned\x07\x9b") == "GET /\\x1b[2J\\x1b]0;pwned\\x07\\x9b"
    assert 0 < _Handler.timeout == IDLE_SECONDS <= 60


def test_the_dev_server_refuses_a_rebound_name_and_escapes_what_it_prints(
    serve_copy, tally: Tally
) -> None:
    served = serve_copy()
    served.settle()
    tally.tried(2)
    for host, expected in (("evil.example", 403), (f"127.0.0.1:{served.port}", 200)):
        with socket.create_connection(("127.0.0.1", served.port), timeout=10) as sock:
            sock.sendall(f"GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
            status = int(sock.recv(64).split()[1])
        assert status == expected, host
    with socket.create_connection(("127.0.0.1", served.port), timeout=10) as sock:
        sock.sendall(b"GET /\x1b[2Jgone HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        sock.recv(64)
    served.stop()
    err = "".join(served.stderr)
    assert "\x1b" not in err and "\\x1b[2Jgone" in err, err
