"""Guards and effects shared by several lifecycles."""

from __future__ import annotations

from typing import Any

from servicecore.lifecycle.engine import Guard, TransitionContext

__all__ = ["by_assigned_technician", "keep_reason", "stamp"]


def _is_assigned_technician(entity: Any, ctx: TransitionContext) -> str | None:
    if ctx.actor.technician_id is not None and ctx.actor.technician_id == entity.technician_id:
        return None
    return (
        f"only technician {entity.technician_id} may do this; "
        f"actor {ctx.actor.id} is technician {ctx.actor.technician_id}"
    )


by_assigned_technician: Guard[Any] = Guard(
    "by_assigned_technician",
    "Only the technician the order is assigned to may do this.",
    _is_assigned_technician,
)


def stamp(field: str) -> Any:
    """Return an effect that sets ``field`` to the context's time."""

    def effect(entity: Any, ctx: TransitionContext) -> None:
        setattr(entity, field, ctx.at)

    effect.__name__ = f"stamp_{field}"
    return effect


def keep_reason(field: str) -> Any:
    """Return an effect that copies the context's reason into ``field``."""

    def effect(entity: Any, ctx: TransitionContext) -> None:
        setattr(entity, field, ctx.reason)

    effect.__name__ = f"keep_reason_{field}"
    return effect
