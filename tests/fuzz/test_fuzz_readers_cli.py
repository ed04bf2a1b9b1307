"""The FSM-JSON and Solomon readers and every ``servicecore`` CLI command, fed hostile input.

The readers raise a ``ValidationError`` naming the field (or the file) for a corrupted instance,
never a raw exception. The CLI exits with 0, 1 or 2 (argparse's usage errors included), prints
servicecore errors on one line, and writes no solution or database when it refuses.
"""

import json
import os
from pathlib import Path

import hypothesis.strategies as st
import pytest
from hostile import NASTY_TEXT, TRIED, check_error, corrupt, examples
from hypothesis import given

from servicecore.cli import build_parser, main
from servicecore.errors import ValidationError
from servicecore.scheduling.formats import fsm_to_problem, read_fsm_json, read_solomon

DATA = Path(__file__).resolve().parents[1] / "scheduling" / "data"
FSM = json.loads((DATA / "tiny_fsm.json").read_text())
SOLOMON = (DATA / "tiny_solomon.txt").read_text()


def test_a_corrupted_fsm_instance_names_a_field():
    @examples(150)
    @given(st.data())
    def fuzz(data: st.DataObject) -> None:
        TRIED["readers"] += 1
        corrupted, path = corrupt(data, FSM)
        try:
            fsm_to_problem(corrupted)  # type: ignore[arg-type]
        except Exception as exc:
            check_error(exc, allow_root=not path)

    fuzz()


TEXT_DAMAGE = st.sampled_from(["truncate", "insert", "bytes", "bom", "empty"])


def _damaged(data: st.DataObject, text: str) -> bytes:
    how = data.draw(TEXT_DAMAGE, label="damage")
    raw = text.encode()
    at = data.draw(st.integers(0, len(raw)), label="at")
    if how == "truncate":
        return raw[:at]
    if how == "insert":
        piece = data.draw(st.sampled_from([*NASTY_TEXT[:12], "-0", ",", "]"]))  # not "inf": known
        return raw[:at] + piece.encode("utf-8", "replace") + raw[at:]
    if how == "bytes":  # text; bytes that are not UTF-8 are a known defect, see below
        piece = data.draw(st.text(min_size=1, max_size=8), label="text")
        return raw[:at] + piece.encode("utf-8", "replace") + raw[at:]
    if how == "bom":
        return b"\xef\xbb\xbf" + raw
    return b""


def test_a_damaged_fsm_file_is_a_validation_error(tmp_path):
    @examples(100)
    @given(st.data())
    def fuzz(data: st.DataObject) -> None:
        TRIED["readers"] += 1
        path = tmp_path / "instance.json"
        path.write_bytes(_damaged(data, json.dumps(FSM)))
        try:
            read_fsm_json(path)
        except Exception as exc:
            check_error(exc)

    fuzz()


SOLOMON_TOKENS = st.sampled_from(
    ["-5", "0", "x", "", "1.5", "\x00", "inf", "nan", "1e308", "-1e308", str(10**18)]
)
"""Tokens for a Solomon file's columns: a huge vehicle count among them (the reader would build
that many technicians)."""


def test_a_damaged_solomon_file_is_a_validation_error(tmp_path):
    @examples(150)
    @given(st.data())
    def fuzz(data: st.DataObject) -> None:
        TRIED["readers"] += 1
        lines = SOLOMON.splitlines()
        row = data.draw(st.integers(0, len(lines) - 1), label="line")
        how = data.draw(st.sampled_from(["token", "drop", "repeat", "text"]), label="how")
        if how == "token" and lines[row].split():
            tokens = lines[row].split()
            column = data.draw(st.integers(0, len(tokens) - 1), label="column")
            tokens[column] = data.draw(SOLOMON_TOKENS, label="token")
            lines[row] = "  ".join(tokens)
        elif how == "drop":
            del lines[row]
        elif how == "repeat":
            lines.insert(row, lines[row])
        path = tmp_path / "instance.txt"
        if how == "text":
            path.write_bytes(_damaged(data, SOLOMON))
        else:
            path.write_text("\n".join(lines))
        try:
            read_solomon(path)
        except Exception as exc:
            check_error(exc)

    fuzz()


def test_an_fsm_file_that_is_not_utf8_is_a_validation_error(tmp_path):
    path = tmp_path / "instance.json"
    path.write_bytes(b"\x80" + json.dumps(FSM).encode())
    with pytest.raises(ValidationError):
        read_fsm_json(path)


def test_a_solomon_file_that_is_not_utf8_is_a_validation_error(tmp_path):
    path = tmp_path / "instance.txt"
    path.write_bytes(b"\x80" + SOLOMON.encode())
    with pytest.raises(ValidationError):
        read_solomon(path)


@pytest.mark.parametrize("token", ["inf", "nan", "1e999"])
def test_a_solomon_number_that_is_not_finite_is_a_validation_error(tmp_path, token):
    lines = SOLOMON.splitlines()
    tokens = lines[10].split()
    tokens[6] = token
    lines[10] = "  ".join(tokens)
    path = tmp_path / "instance.txt"
    path.write_text("\n".join(lines))
    with pytest.raises(ValidationError):
        read_solomon(path)


def _solomon_with(tmp_path: Path, line: int, column: int, token: str) -> Path:
    """The tiny Solomon file with one token replaced, written to ``tmp_path``."""
    lines = SOLOMON.splitlines()
    tokens = lines[line].split()
    tokens[column] = token
    lines[line] = "  ".join(tokens)
    path = tmp_path / "instance.txt"
    path.write_text("\n".join(lines))
    return path


FLEET_LINE, DEPOT_LINE, CUSTOMER_LINE = 4, 9, 10


@pytest.mark.parametrize("fleet", [10**4 + 1, 10**9, 10**18, 0, -3])
def test_a_solomon_fleet_out_of_bounds_is_refused_naming_the_file_and_field(tmp_path, fleet):
    path = _solomon_with(tmp_path, FLEET_LINE, 0, str(fleet))
    with pytest.raises(ValidationError) as info:
        read_solomon(path)
    (error,) = info.value.errors
    assert (error.path, error.value) == (str(path), fleet)
    assert "VEHICLE NUMBER" in error.message


def test_a_homberger_sized_fleet_is_read(tmp_path):
    problem = read_solomon(_solomon_with(tmp_path, FLEET_LINE, 0, "250"))
    assert len(problem.technicians) == 250


@pytest.mark.parametrize("capacity", [10**18, -5])
def test_a_solomon_capacity_out_of_bounds_is_refused_naming_the_file_and_field(tmp_path, capacity):
    path = _solomon_with(tmp_path, FLEET_LINE, 1, str(capacity))
    with pytest.raises(ValidationError) as info:
        read_solomon(path)
    (error,) = info.value.errors
    assert (error.path, error.value) == (str(path), capacity)
    assert "CAPACITY" in error.message


NUMBERS_AT = [
    *((CUSTOMER_LINE, column) for column in range(1, 7)),
    (DEPOT_LINE, 1),
    (DEPOT_LINE, 5),
]
"""A customer's x, y, demand, ready time, due date and service time; the depot's x and due date."""


@pytest.mark.parametrize(("line", "column"), NUMBERS_AT)
@pytest.mark.parametrize("token", ["1e308", "-1e308", "1e18"])
def test_a_huge_solomon_customer_number_is_refused_naming_the_file(tmp_path, line, column, token):
    path = _solomon_with(tmp_path, line, column, token)
    with pytest.raises(ValidationError) as info:
        read_solomon(path)
    (error,) = info.value.errors
    assert (error.path, error.value) == (str(path), float(token))


def test_a_solomon_file_with_too_many_customers_is_refused(tmp_path):
    # The travel matrix grows with the square of the customers: 2,001 would hold 4 million entries.
    head = SOLOMON.splitlines()[: DEPOT_LINE + 1]
    rows = [f"{i}  {i % 100}  {i // 100}  1  0  1000  10" for i in range(1, 2_002)]
    path = tmp_path / "instance.txt"
    path.write_text("\n".join(head + rows))
    with pytest.raises(ValidationError) as info:
        read_solomon(path)
    (error,) = info.value.errors
    assert (error.path, error.value) == (str(path), 2_001)


def test_every_cli_command_is_fuzzed():
    parser = build_parser()
    commands = {
        name: sub
        for action in parser._subparsers._group_actions  # type: ignore[union-attr]
        for name, sub in action.choices.items()
    }
    assert set(commands) == {"demo", "schedule", "db"}
    db = {
        name
        for action in commands["db"]._subparsers._group_actions  # type: ignore[union-attr]
        for name in action.choices
    }
    assert db == {"upgrade", "current"}


TIME_LIMITS = st.sampled_from(["0", "-1", "nan", "abc", "", "1e-9", "0.05", "-inf"])
SEEDS = st.sampled_from(["0", "-1", "99999999999999999999999", "x", "1.5"])
URLS = st.sampled_from(
    [
        "",
        "mysql://x",
        "nosuchdb://x",
        "sqlite://",
        "sqlite:///:memory:",
        "postgresql+psycopg://nobody@127.0.0.1:1/none",
        "TMP/::",
        "://",
        "/nonexistent/dir/x.db",
        "TMP/x\udcff.db",
        "TMP/db.sqlite",
    ]
)
"""Database URLs and paths; ``TMP`` stands for the example's temporary folder."""
PREFIXES = st.sampled_from(["", "sc_", "x y", "1", "a" * 100, "drop;", "\udcff"])


def _argv(data: st.DataObject, tmp: Path) -> tuple[list[str], Path | None]:
    """A command line, and the file it would write (None: none)."""
    command = data.draw(st.sampled_from(["schedule", "db", "demo", "junk"]), label="command")
    if command == "schedule":
        instance = tmp / "in.json"
        instance.write_bytes(_damaged(data, json.dumps(FSM)))
        out = tmp / "out.json"
        where = data.draw(st.sampled_from([str(instance), str(tmp), "/nonexistent/x.json", ""]))
        target = data.draw(st.sampled_from([str(out), str(tmp), "/nonexistent/dir/o.json", ""]))
        argv = ["schedule", where, "--time-limit", data.draw(TIME_LIMITS), "-o", target]
        if data.draw(st.booleans()):
            argv += ["--seed", data.draw(SEEDS)]
        return argv, out
    if command == "db":
        url = data.draw(URLS, label="url").replace("TMP", str(tmp))
        argv = ["db", data.draw(st.sampled_from(["upgrade", "current"])), url]
        if data.draw(st.booleans()):
            argv += ["--prefix", data.draw(PREFIXES)]
        if data.draw(st.booleans()):
            argv += ["--schema", data.draw(PREFIXES)]
        return argv, None
    if command == "demo":
        days = data.draw(st.sampled_from(["0", "15", "x", "-1", "", "1e3"]))
        return ["demo", "--db", str(tmp / "demo.db"), "--days", days], tmp / "demo.db"
    junk = data.draw(st.lists(st.sampled_from([*NASTY_TEXT[:12], "--", "-h", "db"]), max_size=4))
    return [s.replace("\x00", "") for s in junk], None


def test_the_cli_exits_with_a_code_and_writes_nothing_when_it_refuses(tmp_path_factory, capsys):
    @examples(60)
    @given(st.data())
    def fuzz(data: st.DataObject) -> None:
        TRIED["cli"] += 1
        tmp = tmp_path_factory.mktemp("cli")
        argv, written = _argv(data, tmp)
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse: a usage error (2) or --help (0)
            code = exc.code
        except Exception as exc:
            check_error(exc)
            raise AssertionError(f"main({argv!r}) raised {exc!r} instead of exiting") from exc
        finally:
            capsys.readouterr()
        assert code in (0, 1, 2), code
        if code != 0 and written is not None and argv[0] != "schedule":
            assert not written.exists(), f"{argv} exited {code} but wrote {written}"
        if code == 2 and written is not None and argv[0] == "schedule":
            assert not written.exists() or os.path.getsize(written) == 0

    fuzz()
