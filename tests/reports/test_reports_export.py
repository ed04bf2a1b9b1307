"""The report container: rows to dicts, CSV, pandas and Excel."""

import csv
import datetime as dt
import importlib.util
import io

import pytest

from servicecore.model.booking import BookingStatus
from servicecore.model.enums import Channel, ServiceType
from servicecore.reports import BookingRow, MissingExtra, Report

ROWS = [
    BookingRow(
        dt.date(2026, 3, 2), BookingStatus.CONFIRMED, ServiceType.REPAIR, "T-1", Channel.ONLINE, 2
    ),
    BookingRow(
        dt.date(2026, 3, 3), BookingStatus.CANCELLED, ServiceType.REPAIR, None, Channel.WALK_IN, 1
    ),
]
REPORT = Report.of("Bookings", BookingRow, ROWS)


def test_columns_are_the_row_fields():
    assert REPORT.columns == (
        "period",
        "status",
        "service_type",
        "technician_id",
        "channel",
        "count",
    )
    assert REPORT.records()[1] == {
        "period": dt.date(2026, 3, 3),
        "status": "cancelled",
        "service_type": "repair",
        "technician_id": None,
        "channel": "walk_in",
        "count": 1,
    }


def test_csv_to_a_file_object_and_a_path(tmp_path):
    out = io.StringIO()
    REPORT.to_csv(out)
    expected = [
        ["period", "status", "service_type", "technician_id", "channel", "count"],
        ["2026-03-02", "confirmed", "repair", "T-1", "online", "2"],
        ["2026-03-03", "cancelled", "repair", "", "walk_in", "1"],
    ]
    assert list(csv.reader(io.StringIO(out.getvalue()))) == expected
    REPORT.to_csv(tmp_path / "b.csv")
    with open(tmp_path / "b.csv", newline="", encoding="utf-8") as f:
        assert list(csv.reader(f)) == expected


def test_to_pandas():
    pd = pytest.importorskip("pandas")
    frame = REPORT.to_pandas()
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == list(REPORT.columns)
    assert frame["count"].sum() == 3
    assert frame.loc[0, "status"] == "confirmed"


def test_to_excel_or_a_clear_error(tmp_path):
    pytest.importorskip("pandas")
    target = tmp_path / "b.xlsx"
    if importlib.util.find_spec("openpyxl") is None:
        with pytest.raises(MissingExtra) as info:
            REPORT.to_excel(target)
        assert info.value.package == "openpyxl"
        assert not target.exists()
    else:
        REPORT.to_excel(target)
        import pandas as pd

        back = pd.read_excel(target)
        assert back["count"].tolist() == [2, 1]


def test_missing_pandas_is_a_servicecore_error(monkeypatch):
    import builtins

    real = builtins.__import__

    def no_pandas(name, *args, **kwargs):
        if name == "pandas":
            raise ImportError("no pandas here")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pandas)
    with pytest.raises(MissingExtra) as info:
        REPORT.to_pandas()
    assert info.value.package == "pandas"
    assert "servicecore[analysis]" in str(info.value)


def test_sql_backend_from_a_path(tmp_path):
    pytest.importorskip("sqlalchemy")
    from servicecore.adapters.sqlalchemy import SQLAlchemyStorage
    from servicecore.adapters.sqlalchemy.reporting import SqlReporting
    from servicecore.testing import factories as f

    path = str(tmp_path / "r.db")
    with SQLAlchemyStorage(path) as storage, storage.unit_of_work("acme") as uow:
        uow.bookings.add(f.booking())
        uow.commit()
    backend = SqlReporting(path)
    try:
        assert [r.count for r in backend.count_by("acme", "bookings", ["status"])] == [1]
    finally:
        backend.close()
