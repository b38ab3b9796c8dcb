"""The README's first lines stay true: two set-up commands, the second the one .ci/run calls."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _commands() -> list[str]:
    text = (ROOT / "README.md").read_text("utf-8")
    return re.findall(r"^    (python3 -m venv .+)$", text, flags=re.MULTILINE)


def test_two_setup_commands_near_the_top() -> None:
    commands = _commands()
    assert len(commands) == 2
    head = (ROOT / "README.md").read_text("utf-8").splitlines()[:20]
    assert all(any(c in line for line in head) for c in commands)
    assert "nutmeg serve --demo" in commands[0]
    assert "pytest" in commands[1]


def test_ci_runs_the_readme_test_command() -> None:
    assert _commands()[1] in (ROOT / ".ci" / "run").read_text("utf-8")
