"""Travel times between points, in whole minutes.

Three metrics: straight-line distance on planar kilometres (``euclidean``), great-circle distance
on (latitude, longitude) degrees (``haversine``), both divided by a speed and rounded up to whole
minutes, or a given ``matrix`` of minutes between listed points.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Literal

import attrs
import numpy as np

from servicecore.errors import FieldError, ValidationError

__all__ = ["Point", "Travel"]

Point = tuple[float, float]
"""A location: ``(x, y)`` in km for ``euclidean``, ``(lat, lon)`` in degrees for ``haversine``."""

_EARTH_RADIUS_KM = 6371.0088
# Travel minutes are rounded up; the epsilon keeps exact integers (e.g. 2.0000000001) from
# rounding up to the next minute through floating-point noise.
_EPS = 1e-9


def _to_points(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return tuple(
            (p[0], p[1]) if isinstance(p, list | tuple) and len(p) == 2 else p for p in value
        )
    return value


def _to_matrix(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return tuple(tuple(row) if isinstance(row, list | tuple) else row for row in value)
    return value


@attrs.frozen
class Travel:
    """How long it takes to get from one point to another.

    Use the constructors :meth:`euclidean`, :meth:`haversine` and :meth:`from_matrix`.

    Attributes:
        metric: ``"euclidean"``, ``"haversine"`` or ``"matrix"``.
        speed_kmh: Speed for the coordinate metrics (unused for ``matrix``).
        points: For ``matrix``: the points, in the order of the matrix rows.
        minutes: For ``matrix``: ``minutes[i][j]`` from ``points[i]`` to ``points[j]``.

    Raises:
        ValidationError: If the speed is not positive, the metric is unknown, or the matrix is
            not square, not sized like ``points``, or holds a negative or non-integer entry.
    """

    metric: Literal["euclidean", "haversine", "matrix"]
    speed_kmh: float = 30.0
    points: tuple[Point, ...] = attrs.field(default=(), converter=_to_points)
    minutes: tuple[tuple[int, ...], ...] = attrs.field(default=(), converter=_to_matrix)
    _index: dict[Point, int] = attrs.field(init=False, repr=False, eq=False, hash=False)

    def __attrs_post_init__(self) -> None:
        errors: list[FieldError] = []
        if self.metric not in ("euclidean", "haversine", "matrix"):
            errors.append(
                FieldError("metric", self.metric, "must be euclidean, haversine or matrix")
            )
        if self.metric in ("euclidean", "haversine") and (
            not isinstance(self.speed_kmh, int | float)
            or isinstance(self.speed_kmh, bool)
            or not self.speed_kmh > 0
        ):
            errors.append(FieldError("speed_kmh", self.speed_kmh, "must be a number > 0"))
        index: dict[Point, int] = {}
        if self.metric == "matrix":
            n = len(self.points)
            if n == 0:
                errors.append(FieldError("points", self.points, "a matrix needs its points"))
            if len(self.minutes) != n:
                errors.append(
                    FieldError("minutes", f"{len(self.minutes)} rows", f"must have {n} rows")
                )
            for i, row in enumerate(self.minutes):
                if len(row) != n:
                    errors.append(FieldError(f"minutes[{i}]", len(row), f"must have {n} entries"))
                    continue
                for k, v in enumerate(row):
                    if not isinstance(v, int) or isinstance(v, bool) or v < 0:
                        errors.append(FieldError(f"minutes[{i}][{k}]", v, "must be an int >= 0"))
                        break
            for i, p in enumerate(self.points):
                index.setdefault(p, i)
        if errors:
            raise ValidationError(errors)
        object.__setattr__(self, "_index", index)

    @classmethod
    def euclidean(cls, speed_kmh: float) -> Travel:
        """Straight-line travel on planar km coordinates at ``speed_kmh``, rounded up to minutes.

        Raises:
            ValidationError: If ``speed_kmh`` is not positive.
        """
        return cls("euclidean", speed_kmh)

    @classmethod
    def haversine(cls, speed_kmh: float) -> Travel:
        """Great-circle travel on (lat, lon) degree coordinates at ``speed_kmh``, rounded up.

        Raises:
            ValidationError: If ``speed_kmh`` is not positive.
        """
        return cls("haversine", speed_kmh)

    @classmethod
    def from_matrix(cls, points: Sequence[Point], minutes: Sequence[Sequence[int]]) -> Travel:
        """Travel given as a matrix of minutes between ``points``.

        Raises:
            ValidationError: If the matrix does not fit the points or holds bad entries.
        """
        return cls("matrix", 0.0, tuple(points), tuple(tuple(r) for r in minutes))

    def knows(self, point: Point) -> bool:
        """Return whether travel from and to ``point`` can be computed."""
        return self.metric != "matrix" or point in self._index

    def between(self, a: Point, b: Point) -> int:
        """Return the travel minutes from ``a`` to ``b``.

        Raises:
            KeyError: For a ``matrix`` travel, if a point is not in the matrix.
        """
        if self.metric == "matrix":
            return self.minutes[self._index[a]][self._index[b]]
        if self.metric == "euclidean":
            km = math.hypot(a[0] - b[0], a[1] - b[1])
        else:
            km = _haversine_km(a, b)
        return math.ceil(km / self.speed_kmh * 60 - _EPS)

    def matrix(self, points: Sequence[Point]) -> list[list[int]]:
        """Return the matrix of minutes between every pair of ``points``.

        Raises:
            KeyError: For a ``matrix`` travel, if a point is not in the matrix.
        """
        if not points:
            return []
        if self.metric == "matrix":
            idx = np.array([self._index[p] for p in points], dtype=np.int64)
            full = np.array(self.minutes, dtype=np.int64)
            return full[np.ix_(idx, idx)].tolist()  # type: ignore[no-any-return]
        xy = np.array(points, dtype=np.float64)
        if self.metric == "euclidean":
            km = np.hypot(xy[:, 0:1] - xy[:, 0], xy[:, 1:2] - xy[:, 1])
        else:
            lat = np.radians(xy[:, 0])
            lon = np.radians(xy[:, 1])
            dlat = lat[:, None] - lat[None, :]
            dlon = lon[:, None] - lon[None, :]
            h = (
                np.sin(dlat / 2) ** 2
                + np.cos(lat)[:, None] * np.cos(lat)[None, :] * np.sin(dlon / 2) ** 2
            )
            km = 2 * _EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.minimum(h, 1.0)))
        mins = np.ceil(km / self.speed_kmh * 60 - _EPS).astype(np.int64)
        return mins.tolist()  # type: ignore[no-any-return]


def _haversine_km(a: Point, b: Point) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * _EARTH_RADIUS_KM * math.asin(math.sqrt(min(h, 1.0)))
