"""The report container: typed rows, with pandas, CSV and Excel export."""

from __future__ import annotations

import csv
import enum
from collections.abc import Sequence
from datetime import date, datetime
from os import PathLike
from typing import IO, Any, Generic, TypeVar

import attrs

from servicecore.errors import MissingExtraError

__all__ = ["MissingExtra", "Report"]

RowT = TypeVar("RowT")


# Deprecated alias (0.2.0): every optional feature raises servicecore.errors.MissingExtraError.
MissingExtra = MissingExtraError


def _cell(value: object) -> object:
    if isinstance(value, enum.Enum):
        return value.value
    return value


def _text(value: object) -> str:
    value = _cell(value)
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return ", ".join(_text(v) for v in value)
    return str(value)


@attrs.frozen
class Report(Generic[RowT]):
    """A report: a title, its column names and its rows (frozen attrs instances).

    Attributes:
        title: What the report shows, e.g. ``"Bookings"``.
        columns: The rows' field names, in order.
        rows: The rows, in the report's documented order.
    """

    title: str
    columns: tuple[str, ...]
    rows: tuple[RowT, ...]

    @classmethod
    def of(cls, title: str, row_type: type[RowT], rows: Sequence[RowT]) -> Report[RowT]:
        """Build a report whose columns are the fields of the attrs class ``row_type``."""
        names = tuple(f.name for f in attrs.fields(row_type))  # type: ignore[arg-type]
        return cls(title, names, tuple(rows))

    def records(self) -> list[dict[str, object]]:
        """Return the rows as dicts of plain values (enums as their values)."""
        return [{c: _cell(getattr(r, c)) for c in self.columns} for r in self.rows]

    def to_pandas(self) -> Any:
        """Return the rows as a ``pandas.DataFrame`` (enums as their values).

        Raises:
            MissingExtraError: pandas is not installed (the ``analysis`` extra).
        """
        try:
            import pandas as pd  # type: ignore[import-untyped]
        except ImportError as exc:
            raise MissingExtraError("Report.to_pandas", "analysis", "pandas") from exc
        return pd.DataFrame.from_records(self.records(), columns=list(self.columns))

    def to_csv(self, target: str | PathLike[str] | IO[str]) -> None:
        """Write the rows as CSV with a header line.

        ``None`` is an empty cell, dates and times are ISO, and a list of values (a loaner row's
        serial numbers) is one cell of the values joined with ``", "``.

        Args:
            target: A path, or a text file opened with ``newline=""``.
        """
        if not isinstance(target, str | PathLike):
            self._write_csv(target)
            return
        with open(target, "w", newline="", encoding="utf-8") as out:
            self._write_csv(out)

    def _write_csv(self, out: IO[str]) -> None:
        writer = csv.writer(out)
        writer.writerow(self.columns)
        for row in self.rows:
            writer.writerow([_text(getattr(row, c)) for c in self.columns])

    def to_excel(self, path: str | PathLike[str]) -> None:
        """Write the rows to an Excel workbook, one sheet named after the title.

        Raises:
            MissingExtraError: pandas or openpyxl is not installed (the ``analysis`` extra).
        """
        frame = self.to_pandas()
        try:
            import openpyxl  # type: ignore[import-untyped]  # noqa: F401
        except ImportError as exc:
            raise MissingExtraError("Report.to_excel", "analysis", "openpyxl") from exc
        frame.to_excel(path, sheet_name=self.title[:31], index=False)
