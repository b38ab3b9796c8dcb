"""Harvest commands give way to serving: they lower their own CPU priority (NUTMEG_HARVEST_NICE)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

PROBE = """
import os
from click.testing import CliRunner
from catalog_api.cli import main
result = CliRunner().invoke(main, ["harvest", "ghost"])
print(result.exit_code, os.nice(0))
"""


def run(env: dict[str, str], tmp: str) -> tuple[int, int]:
    environment = {**os.environ, "NUTMEG_DATABASE_URL": f"sqlite:///{tmp}/nutmeg.db", **env}
    done = subprocess.run([sys.executable, "-c", PROBE], env=environment, capture_output=True, text=True, check=True)
    code, niceness = done.stdout.split()
    return int(code), int(niceness)


@pytest.mark.skipif(not hasattr(os, "nice"), reason="no process priorities on this platform")
def test_harvest_lowers_its_priority_and_zero_leaves_it(tmp_path: object) -> None:
    start = os.nice(0)
    code, niceness = run({"NUTMEG_HARVEST_NICE": str(start + 7)}, str(tmp_path))
    assert code != 0  # the source does not exist, but the command had already given way
    assert niceness == start + 7
    assert run({"NUTMEG_HARVEST_NICE": "0"}, str(tmp_path))[1] == start


def test_lowering_twice_changes_nothing() -> None:
    code = "from catalog_api.runtime import lower_priority as l; import os; l(3); l(3); print(os.nice(0))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert int(done.stdout) == max(os.nice(0), 3)
