"""docs/writing-a-module.md and docs/migrations.md show the example module as it is, and
commands that exist.

Each fenced block of either guide is checked against `examples/notes`:

- python: the comment `<!-- example: PATH -->` above it names the file (relative to
  examples/notes); its text, cut at lines holding only `...`, appears there piece by piece;
- toml: likewise named, and every key it sets has that value in the file;
- console: each `$` line names a real program, sub-command and options (`trellis` commands as
  the CLI defines them); lines of output only where a test runs the command and compares
  (`trellis config check`: tests/core/test_safe_disable.py);
- the unlabelled block is the example's layout: every path it draws exists.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
import textwrap
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import typer

from core.cli import app

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "writing-a-module.md"
GUIDES = (GUIDE, ROOT / "docs" / "migrations.md")
EXAMPLE = ROOT / "examples" / "notes"
BIN = Path(sys.executable).parent
# Console blocks whose printed lines a test compares with what the command prints.
OUTPUT_CHECKED = {"trellis config check": "tests/core/test_safe_disable.py"}

_BLOCK = re.compile(
    r"^(?:(?P<indent> *)<!-- example: (?P<source>\S+) -->\n)?"
    r"(?P<fence> *)```(?P<language>\w*)\n(?P<code>.*?)^(?P=fence)```$",
    flags=re.M | re.S,
)


@dataclass(frozen=True)
class Block:
    language: str
    code: str
    source: str | None
    line: int
    guide: str = GUIDE.name

    def __str__(self) -> str:
        return f"{self.guide}:{self.line} ({self.language or 'plain'})"


def blocks() -> list[Block]:
    found = []
    for guide in GUIDES:
        text = guide.read_text()
        found += [
            Block(
                language=match["language"],
                code=textwrap.dedent(match["code"]),
                source=match["source"],
                line=text.count("\n", 0, match.start("fence")) + 1,
                guide=guide.name,
            )
            for match in _BLOCK.finditer(text)
        ]
    return found


def of(language: str) -> list[Block]:
    return [block for block in blocks() if block.language == language]


def test_every_block_is_of_a_checked_kind() -> None:
    assert {block.language for block in blocks()} <= {"python", "toml", "console", ""}
    assert of("python")
    assert of("toml")
    assert of("console")


# --- python: excerpts of the example's files --------------------------------------------------


def pieces(code: str) -> list[str]:
    """The block's text between its `...` lines (elisions), each without blank edge lines."""
    found: list[list[str]] = [[]]
    for line in code.splitlines():
        if line.strip() == "...":
            found.append([])
        else:
            found[-1].append(line)
    return [text for lines in found if (text := "\n".join(lines).strip("\n"))]


@pytest.mark.parametrize("block", of("python"), ids=str)
def test_a_python_block_is_taken_from_the_example(block: Block) -> None:
    assert block.source, f"{block}: say which example file it comes from (<!-- example: ... -->)"
    source = (EXAMPLE / block.source).read_text()
    position = 0
    for piece in pieces(block.code):
        found = source.find(piece, position)
        assert found >= 0, (
            f"{block}: not in examples/notes/{block.source} (in this order):\n{piece}"
        )
        position = found + len(piece)


def test_elisions_are_cut_where_the_guide_says() -> None:
    assert pieces("a\n...\n    b\n\n    ...\n") == ["a", "    b"]


# --- toml: settings the example's files really have -------------------------------------------


def subset_problems(shown: Mapping[str, Any], actual: Mapping[str, Any], where: str) -> list[str]:
    problems = []
    for key, value in shown.items():
        if key not in actual:
            problems.append(f"{where}{key}: missing")
        elif isinstance(value, dict) and isinstance(actual[key], dict):
            problems += subset_problems(value, actual[key], f"{where}{key}.")
        elif value != actual[key]:
            problems.append(f"{where}{key}: {value!r} shown, {actual[key]!r} in the file")
    return problems


@pytest.mark.parametrize("block", of("toml"), ids=str)
def test_a_toml_block_agrees_with_the_example(block: Block) -> None:
    assert block.source, f"{block}: say which example file it comes from (<!-- example: ... -->)"
    actual = tomllib.loads((EXAMPLE / block.source).read_text())
    assert subset_problems(tomllib.loads(block.code), actual, "") == []


# --- console: commands that exist -------------------------------------------------------------


def commands(block: Block) -> Iterator[list[str]]:
    """Each `$` line, split as a shell would, without leading `NAME=value` assignments."""
    for line in block.code.splitlines():
        if line.startswith("$ "):
            words = shlex.split(line[2:], comments=True)
            while words and re.fullmatch(r"[A-Z_]+=\S*", words[0]):
                words.pop(0)
            yield words


def test_a_console_block_prints_only_what_a_test_compares() -> None:
    for block in of("console"):
        printed = [line for line in block.code.splitlines() if not line.startswith("$ ")]
        if printed:
            [command] = [" ".join(words) for words in commands(block)]
            assert command in OUTPUT_CHECKED, f"{block}: no test compares what `{command}` prints"


def every_command() -> list[list[str]]:
    return [words for block in of("console") for words in commands(block)]


def trellis_problems(words: list[str]) -> list[str]:
    """Walk the `trellis` CLI as click would parse `words`; name what it does not know.

    Duck-typed: typer builds its commands on a click of its own, not the `click` package.
    """
    command: Any = typer.main.get_command(app)
    problems: list[str] = []
    arguments = 0
    taking_value = False
    for word in words:
        if taking_value:
            taking_value = False
            continue
        if word.startswith("-"):
            option = _param(command, "option", word.split("=")[0])
            if option is None:
                problems.append(f"{command.name}: no option {word}")
            else:
                taking_value = not option.is_flag and "=" not in word
        elif word in getattr(command, "commands", {}):
            command = command.commands[word]
            arguments = 0
        else:
            arguments += 1
            positional = [p for p in command.params if p.param_type_name == "argument"]
            if arguments > len(positional):
                problems.append(f"{command.name}: unexpected argument {word}")
    return problems


def _param(command: Any, kind: str, name: str) -> Any:
    for param in command.params:
        if param.param_type_name == kind and name in (*param.opts, *param.secondary_opts):
            return param
    return None


@cache
def help_text(*words: str) -> str:
    run = subprocess.run([*words, "--help"], capture_output=True, text=True, check=False)  # noqa: S603
    assert run.returncode == 0, f"{' '.join(words)} --help failed: {run.stderr}"
    return run.stdout


def example_project() -> dict[str, Any]:
    return tomllib.loads((EXAMPLE / "pyproject.toml").read_text())


def other_problems(words: list[str]) -> list[str]:
    """A program in this environment; for pip and ruff, a sub-command and options they know."""
    program = words[0]
    if not (BIN / program).exists():
        return [f"{program}: not installed in this environment"]
    if program not in ("pip", "ruff"):
        return []
    usage = help_text(str(BIN / program), words[1])
    problems = [
        f"{program} {words[1]}: no option {word}"
        for word in words[2:]
        if word.startswith("-") and not re.search(rf"(?<![\w-]){re.escape(word)}\b", usage)
    ]
    project = example_project()["project"]
    for word in words[2:]:
        if extras := re.fullmatch(r"\.\[(.+)\]", word):
            known = project["optional-dependencies"]
            problems += [f"no extra {name}" for name in extras[1].split(",") if name not in known]
        if word.endswith(".whl"):
            wheel = f"{project['name'].replace('-', '_')}-{project['version']}-py3-none-any.whl"
            if Path(word).name != wheel:
                problems.append(f"{word}: the example builds {wheel}")
    return problems


@pytest.mark.parametrize("words", every_command(), ids=" ".join)
def test_a_command_names_what_exists(words: list[str]) -> None:
    if words[0] == "trellis":
        assert trellis_problems(words[1:]) == []
    else:
        assert other_problems(words) == []


def test_the_checker_knows_a_wrong_trellis_command() -> None:
    assert trellis_problems(["migrate", "--module", "notes", "--to", "base"]) == []
    assert trellis_problems(["migrate", "--modul", "notes"]) == [
        "migrate: no option --modul",
        "migrate: unexpected argument notes",
    ]


# --- the layout -------------------------------------------------------------------------------


def drawn_paths(tree: str) -> Iterator[Path]:
    """`examples/notes/` then each entry, two spaces of indent per level, named first."""
    root, *entries = tree.splitlines()
    parents = [ROOT / root]
    for entry in entries:
        depth = (len(entry) - len(entry.lstrip())) // 2
        name = entry.split()[0]
        del parents[depth:]
        path = parents[-1] / name
        yield path
        parents.append(path)


def test_the_layout_draws_the_example() -> None:
    [tree] = of("")
    missing = [str(path.relative_to(ROOT)) for path in drawn_paths(tree.code) if not path.exists()]
    assert missing == []
    assert {path.name for path in drawn_paths(tree.code)} >= {
        path.name for path in (EXAMPLE / "trellis_notes").iterdir() if path.suffix == ".py"
    }
