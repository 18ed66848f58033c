"""Each mistake a user makes in digest.yaml, as data: the text, a part of the message it
must give, and the line it must name. Never a Python repr, always `digest.yaml:line`."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.cli import main
from generator.config import parse_config
from generator.errors import Diagnostic, DigestError

THEMES = ("compact", "default")
LISTINGS = ("001_listing.txt", "002_other.txt")

TOPICS = """taxonomy:
  topics:
    - name: Robotics
      keywords: [robot]
"""

# (id, digest.yaml, level, part of the message, the line it names)
MISTAKES = [
    ("unknown top key", "title: x\ntitel: y\n", "warning", "unknown key `titel`", 2),
    ("did you mean", "title: x\ntitel: y\n", "warning", "did you mean `title`?", 2),
    ("theme that does not exist", "title: x\ntheme: dark\n", "error", "no theme named `dark`", 2),
    ("theme did-you-mean", "theme: defualt\n", "error", "did you mean `default`?", 1),
    (
        "keyword inside a topic",
        TOPICS + "    - name: Vision\n      keyword: [vision]\n",
        "warning",
        "unknown key `taxonomy.topics.keyword` is ignored (did you mean `keywords`?)",
        6,
    ),
    (
        "unknown key in a tag rule",
        "taxonomy:\n  tags:\n    - name: code\n      phrase: [github]\n",
        "warning",
        "unknown key `taxonomy.tags.phrase`",
        4,
    ),
    ("unknown key in taxonomy", "taxonomy:\n  topic: []\n", "warning", "`taxonomy.topic`", 2),
    (
        "duplicate topic",
        TOPICS + "    - name: Robotics\n      keywords: [arm]\n",
        "error",
        "`Robotics` is named twice (first on line 3)",
        5,
    ),
    (
        "duplicate tag",
        "taxonomy:\n  tags:\n    - name: code\n    - name: Code\n",
        "error",
        "taxonomy.tags: `Code` is named twice",
        4,
    ),
    (
        "rule without name",
        TOPICS + "    - keywords: [vision]\n",
        "error",
        "this rule has no `name:`",
        5,
    ),
    (
        "rule keywords not a list",
        "taxonomy:\n  topics:\n    - name: Vision\n      keywords: vision\n",
        "error",
        "`keywords` of `Vision` must be a list, not `vision`",
        4,
    ),
    ("rule not a mapping", "taxonomy:\n  topics:\n    - Vision\n", "error", "`Vision`", 3),
    (
        "unknown deploy key",
        "deploy:\n  remote: origin\n  brnch: main\n",
        "warning",
        "unknown key `deploy.brnch` is ignored (did you mean `branch`?)",
        3,
    ),
    (
        "listing_years names no listing",
        "listing_years:\n  001_listing.txt: 2024\n  002_othr.txt: 2023\n",
        "warning",
        "no listing file named `002_othr.txt` in content/listings/ (did you mean `002_other.txt`?)",
        3,
    ),
    ("listing_years no year", "listing_years:\n  001_listing.txt: soon\n", "error", "no year", 2),
    (
        "paper_links extra key",
        'paper_links:\n  - name: A\n    url: "https://a/?q={title}"\n    icon: x\n',
        "warning",
        "unknown key `paper_links.icon`",
        4,
    ),
    (
        "paper_links without title",
        'paper_links:\n  - name: A\n    url: "https://a/"\n',
        "error",
        "must be http(s) with {title}",
        3,
    ),
    (
        "wrong type: list for a number",
        "title: x\npage_size: [1, 2]\n",
        "error",
        "`page_size` must be a positive whole number, not `[1, 2]`",
        2,
    ),
    (
        "wrong type: mapping for text",
        "title: {a: 1}\n",
        "error",
        "`title` must be text, not `{a: 1}`",
        1,
    ),
    ("wrong type: bool", "search: maybe\n", "error", "`search` must be true or false", 1),
    ("key given twice", "title: a\nauthor: b\ntitle: c\n", "warning", "`title` is given twice", 3),
    (
        "unclosed quote",
        'title: "Digest\ndescription: x\nauthor: y\n',
        "error",
        "a quoted value starts here and is never closed",
        1,
    ),
    (
        "unclosed bracket",
        "title: x\nlisting_chrome: [a, b\nauthor: y\n",
        "error",
        "is not closed",
        2,
    ),
    ("bad indentation", "title: x\n  author: y\n", "error", "invalid YAML", 2),
    ("not a mapping", "- a\n- b\n", "error", "must be a mapping of keys to values", 1),
]


def problems_of(text: str) -> list[Diagnostic]:
    try:
        return parse_config(text, "digest.yaml", THEMES, LISTINGS)[1]
    except DigestError as exc:
        return list(exc.diagnostics)


@pytest.mark.parametrize(
    ("text", "level", "part", "line"), [m[1:] for m in MISTAKES], ids=[m[0] for m in MISTAKES]
)
def test_each_mistake_names_its_line(text: str, level: str, part: str, line: int) -> None:
    found = [p for p in problems_of(text) if part in p.format()]
    assert found, [p.format() for p in problems_of(text)]
    assert found[0].level == level and found[0].path == "digest.yaml"
    assert found[0].line == line, found[0].format()
    for problem in problems_of(text):
        assert "<unicode string>" not in problem.format() and "{'" not in problem.format()


def test_the_repository_and_scaffold_configs_have_no_mistake(tmp_path: Path) -> None:
    from generator.config import load_config
    from generator.scaffold import new_site

    assert load_config(Path(__file__).resolve().parents[1] / "digest.yaml")[1] == []
    new_site(tmp_path / "new")
    assert load_config(tmp_path / "new" / "digest.yaml")[1] == []


def test_every_mistake_is_reported_at_once_with_the_warnings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "digest.yaml").write_text("theme: dark\ntitel: x\npage_size: 0\n")
    assert main(["build", "-c", str(tmp_path / "digest.yaml")]) == 1
    err = capsys.readouterr().err
    assert "error: digest.yaml:1: no theme named `dark`" in err
    assert "warning: digest.yaml:2: unknown key `titel`" in err
    assert "error: digest.yaml:3: `page_size` must be a positive whole number" in err
    assert not (tmp_path / "site").exists()


def test_a_site_theme_folder_is_a_theme(tmp_path: Path) -> None:
    from generator.config import load_config

    (tmp_path / "themes" / "mine" / "templates").mkdir(parents=True)
    (tmp_path / "digest.yaml").write_text("theme: mine\n")
    config, notes = load_config(tmp_path / "digest.yaml")
    assert config.theme == "mine" and notes == []
