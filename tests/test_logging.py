import logging

import pytest

from servicecore import SYSTEM, Actor, PermissionDenied, Role, ServiceDesk, ServiceType
from servicecore.adapters import MemoryStorage

AGENT = Actor(id="cs-siti", roles={Role.CUSTOMER_SERVICE})
TECH = Actor(id="u-budi", roles={Role.TECHNICIAN})


@pytest.fixture
def desk():
    return ServiceDesk(MemoryStorage(), tenant="acme")


def open_consult(desk):
    return desk.requests.open_request(
        AGENT, customer_id="C-1", service_type=ServiceType.CONSULT, symptoms="Filter?"
    )


def test_a_command_is_logged_at_debug_with_tenant_command_and_actor(desk, caplog):
    caplog.set_level(logging.DEBUG, logger="servicecore")
    open_consult(desk)
    record = next(r for r in caplog.records if r.getMessage() == "command open_request")
    assert record.levelno == logging.DEBUG
    assert (record.tenant, record.command, record.actor) == ("acme", "open_request", "cs-siti")


def test_a_refusal_is_logged_once_at_info_with_the_entity_id(desk, caplog):
    request = open_consult(desk)
    caplog.set_level(logging.INFO, logger="servicecore")
    with pytest.raises(PermissionDenied):
        desk.requests.cancel_request(TECH, request.id, "not mine")
    refusals = [r for r in caplog.records if "refused" in r.getMessage()]
    assert len(refusals) == 1
    assert refusals[0].levelno == logging.INFO
    assert refusals[0].entity_id == request.id
    assert refusals[0].error == "PermissionDenied"


def test_a_job_is_logged_at_info(desk, caplog):
    caplog.set_level(logging.INFO, logger="servicecore")
    desk.jobs.deliver_outbox(SYSTEM, lambda _tenant, _events: None)
    jobs = [r for r in caplog.records if r.command == "deliver_outbox"]
    assert {r.levelno for r in jobs} == {logging.INFO}


def test_a_failed_outbox_delivery_is_a_warning(desk, caplog):
    open_consult(desk)

    def down(_tenant, _events):
        raise ConnectionError("broker down")

    caplog.set_level(logging.INFO, logger="servicecore")
    run = desk.jobs.deliver_outbox(SYSTEM, down)
    assert run.failed
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings
    assert warnings[0].tenant == "acme"


def test_a_publisher_failing_after_commit_is_a_warning_naming_tenant_and_events(caplog):
    def down(_tenant, _events):
        raise ConnectionError("broker down")

    caplog.set_level(logging.DEBUG, logger="servicecore")
    open_consult(ServiceDesk(MemoryStorage(publisher=down), tenant="acme"))
    failures = [r for r in caplog.records if r.name == "servicecore.storage"]
    assert [r.levelno for r in failures] == [logging.WARNING]
    assert (failures[0].tenant, failures[0].events) == ("acme", 1)


def test_the_library_installs_no_handlers():
    import servicecore.adapters.amqp
    import servicecore.scheduling  # noqa: F401

    for name, logger in logging.root.manager.loggerDict.items():
        if name.startswith("servicecore") and isinstance(logger, logging.Logger):
            assert logger.handlers == [], name
