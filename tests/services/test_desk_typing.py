"""The desk's methods are typed with their commands' own parameters: mypy --strict checks a host.

A host script is generated that calls every desk method twice with wrong argument types (an actor
that is not an Actor; every required argument of a type no parameter accepts); mypy must report
every one of those lines, and none of the lines that call correctly.
"""

import inspect
import textwrap

import pytest
from mypy import api

from servicecore.services.desk import ServiceDesk

pytestmark = pytest.mark.slow

HEADER = """\
from servicecore.adapters.memory import MemoryStorage
from servicecore.model.actor import Actor, Role
from servicecore.services.desk import ServiceDesk

desk = ServiceDesk(MemoryStorage(), "acme")
agent = Actor(id="cs-1", roles={Role.CUSTOMER_SERVICE})
wrong = object()
"""


def _calls():
    """(line of code, whether mypy must refuse it) for every desk method."""
    for group_name, group in ServiceDesk.GROUPS:
        for method, info in group.commands():
            parameters = list(inspect.signature(info.function).parameters.values())[1:]
            required = [p for p in parameters if p.default is inspect.Parameter.empty]
            call = f"desk.{group_name}.{method}"
            yield f"{call}(42)", True
            if required:
                positional = [
                    "wrong"
                    for p in required
                    if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
                ]
                keyword = [f"{p.name}=wrong" for p in required if p.kind is p.KEYWORD_ONLY]
                yield f"{call}(agent, {', '.join(positional + keyword)})", True
    yield 'desk.requests.sla_report(agent, "R-1")', False
    yield 'desk.bookings.cancel_booking(agent, "B-1", "moved away")', False
    yield "desk.jobs.expire_quotes(agent)", False


def test_mypy_strict_reports_every_wrongly_typed_desk_call(tmp_path):
    calls = list(_calls())
    script = HEADER + "\n".join(code for code, _ in calls) + "\n"
    path = tmp_path / "host.py"
    path.write_text(script)
    first = len(HEADER.splitlines()) + 1
    stdout, stderr, _ = api.run(
        ["--strict", "--no-incremental", "--cache-dir", str(tmp_path / "cache"), str(path)]
    )
    assert "error: Cannot find" not in stdout, stderr
    flagged = {int(line.split(":")[1]) for line in stdout.splitlines() if ": error:" in line}
    missed = [code for n, (code, bad) in enumerate(calls, first) if bad and n not in flagged]
    wrongly = [code for n, (code, bad) in enumerate(calls, first) if not bad and n in flagged]
    assert missed == [], textwrap.shorten(stdout, 2000)
    assert wrongly == [], textwrap.shorten(stdout, 2000)
    assert len(calls) > 150
