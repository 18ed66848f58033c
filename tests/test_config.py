"""Loading digest.yaml into a Config: the defaults, every key read into its field, the memo
a session keeps, and a bad value reported as `digest.yaml:line` (the catalogue of each
mistake a user makes is tests/test_config_mistakes.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.config import MOST_VALUES, PAPER_LINKS, Config, Memo, Rule, load_config
from generator.errors import DigestError

FULL = """\
title: Robot papers
description: What robots read
base_url: https://example.org/digest
author: Ada
page_size: 20
search: false
related: 3
other_topic: Misc
listing_years:
  001_first.txt: 2024
listing_chrome:
  - Sign in to comment
  - /\\d+ retweets/
paper_links:
  - {name: arXiv, url: "https://arxiv.org/search/?query={title}"}
taxonomy:
  topics:
    - name: " Robot Learning "
      keywords: [robot, 7]
      exclude: [robot vacuum]
  tags:
    - name: Code
      phrases: [github.com]
deploy:
  remote: upstream
  cname: papers.example.org
"""


def site(tmp_path: Path, text: str, listings: tuple[str, ...] = ("001_first.txt",)) -> Path:
    (tmp_path / "content" / "listings").mkdir(parents=True)
    for name in listings:
        (tmp_path / "content" / "listings" / name).write_text("", encoding="utf-8")
    path = tmp_path / "digest.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def failure(path: Path) -> list[str]:
    with pytest.raises(DigestError) as caught:
        load_config(path)
    return [d.format() for d in caught.value.diagnostics]


def test_an_empty_file_is_every_default(tmp_path: Path) -> None:
    config, notes = load_config(site(tmp_path, ""))
    assert notes == []
    assert config == Config(path="digest.yaml")
    assert (config.title, config.page_size, config.theme, config.search) == (
        "Paper Digest",
        50,
        "default",
        True,
    )
    assert config.paper_links == PAPER_LINKS and config.topics == () and config.tags == ()
    assert (config.remote, config.branch, config.cname) == ("origin", "gh-pages", None)
    assert config.base_path == "/"


def test_every_key_is_read_into_its_field(tmp_path: Path) -> None:
    config, notes = load_config(site(tmp_path, FULL))
    assert notes == []
    assert (config.title, config.description, config.author) == (
        "Robot papers",
        "What robots read",
        "Ada",
    )
    assert (config.page_size, config.search, config.related) == (20, False, 3)
    assert (config.feed_size, config.home_size) == (50, 30)  # not given: the defaults
    assert config.other_topic == "Misc"
    assert config.base_path == "/digest/"
    assert config.listing_years == {"001_first.txt": 2024}
    assert config.listing_chrome == ("Sign in to comment", "/\\d+ retweets/")
    assert config.paper_links == (("arXiv", "https://arxiv.org/search/?query={title}"),)
    assert config.topics == (
        Rule("Robot Learning", "robot-learning", ("robot", "7"), (), ("robot vacuum",)),
    )
    assert config.tags == (Rule("Code", "code", (), ("github.com",)),)
    assert (config.remote, config.branch, config.cname) == (
        "upstream",
        "gh-pages",
        "papers.example.org",
    )


def test_a_number_where_text_goes_is_that_text_and_a_bom_is_no_mistake(tmp_path: Path) -> None:
    path = site(tmp_path, "")
    path.write_bytes("\ufefftitle: 2024\nauthor: 1.5\n".encode())
    config, notes = load_config(path)
    assert (config.title, config.author, notes) == ("2024", "1.5", [])


def test_a_bad_value_names_the_file_and_its_line(tmp_path: Path) -> None:
    path = site(tmp_path, "title: ok\n\nrelated: -1\n")
    assert failure(path) == [
        "error: digest.yaml:3: `related` must be a positive whole number, not `-1` "
        "(write it as `related: 20`)"
    ]


def test_a_bad_pattern_names_the_line_of_its_entry(tmp_path: Path) -> None:
    path = site(tmp_path, "listing_chrome:\n  - fine\n  - /(unclosed/\n")
    (message,) = failure(path)
    assert message.startswith("error: digest.yaml:3: listing_chrome: `/(unclosed/` is not a valid")


def test_deploy_values_must_be_text_at_their_line(tmp_path: Path) -> None:
    path = site(tmp_path, "deploy:\n  remote: origin\n  branch: [a, b]\n")
    assert failure(path) == ["error: digest.yaml:3: `deploy.branch` must be text, not `[a, b]`"]


def test_a_config_named_otherwise_is_named_so(tmp_path: Path) -> None:
    path = site(tmp_path, "")
    other = path.with_name("staging.yaml")
    other.write_text("title: x\npage_size: none\n", encoding="utf-8")
    (message,) = failure(other)
    assert message.startswith("error: staging.yaml:2: `page_size` must be")


def test_an_alias_bomb_is_refused_at_its_key(tmp_path: Path) -> None:
    lines = ["title: x", "a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 10)}]" for n in range(1, 5)]
    (message,) = failure(site(tmp_path, "\n".join(lines) + "\n"))
    assert message.startswith(f"error: digest.yaml:6: `a4` holds over {MOST_VALUES:,} values")


def test_the_memo_parses_a_text_once_and_keeps_only_the_last(tmp_path: Path) -> None:
    path = site(tmp_path, "title: one\ntitel: typo\n")
    memo: Memo = {}
    first, notes = load_config(path, memo)
    notes.clear()  # the caller's list: the memo keeps its own
    again, notes = load_config(path, memo)
    assert again is first and len(notes) == 1 and len(memo) == 1
    path.write_text("title: two\n", encoding="utf-8")
    changed, notes = load_config(path, memo)
    assert changed.title == "two" and notes == [] and len(memo) == 1
    (tmp_path / "content" / "listings" / "002_new.txt").write_text("", encoding="utf-8")
    assert load_config(path, memo)[0] is not changed  # the listings are part of the key
