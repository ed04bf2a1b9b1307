"""The use cases a hosting application calls (bookings, requests, dispatch, closure...).

Commands are plain functions ``command(cx, arguments...)`` of one
:class:`~servicecore.services.context.CommandContext` (unit of work, actor, clock, settings).
They ask the policy first, change records through their lifecycles (leaving audit entries) and
collect domain events; they never commit - the caller commits the unit of work once, so each
command is atomic. :class:`~servicecore.services.desk.ServiceDesk` offers every one of them.
"""
