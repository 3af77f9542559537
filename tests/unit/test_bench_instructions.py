"""bench.instructions: the count read from callgrind's profile, of a run pinned to one core."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# bench/ is no installed package: `python -m bench.run` finds it from the repository's root, as here.
if str(ROOT) not in sys.path:
    sys.path.append(str(ROOT))

from bench.instructions import callgrind_command, instructions_in  # noqa: E402


def test_the_count_is_the_profiles_summary_line(tmp_path: Path) -> None:
    # Given the head of a callgrind profile, whose totals line comes last in a real one
    profile = tmp_path / "callgrind.out"
    profile.write_text("# callgrind format\nversion: 1\nevents: Ir\nsummary: 3779289262\n\nfn=(1) main\n")

    # When its count is read, then it is the summary's
    assert instructions_in(profile) == 3_779_289_262


def test_a_profile_without_its_summary_is_no_count(tmp_path: Path) -> None:
    # Given a profile that callgrind did not finish writing
    profile = tmp_path / "callgrind.out"
    profile.write_text("# callgrind format\nversion: 1\nevents: Ir\n")

    # When its count is read, then it fails rather than count nothing
    with pytest.raises(ValueError, match="summary"):
        instructions_in(profile)


def test_the_run_counted_is_phonebank_run_pinned_to_one_core(tmp_path: Path) -> None:
    # Given where the profile and the outputs go
    profile, input_file, out = tmp_path / "p.out", tmp_path / "calls.csv", tmp_path / "out"

    # When the command is built
    command = callgrind_command(profile, input_file, out)

    # Then it pins valgrind's callgrind, and phonebank under it, to core 0, and runs the whole job
    assert command[:5] == ["taskset", "-c", "0", "valgrind", "--tool=callgrind"]
    assert command[5] == f"--callgrind-out-file={profile}"
    assert command[6].endswith("phonebank")
    assert command[7:] == ["run", str(input_file), "--out", str(out)]
