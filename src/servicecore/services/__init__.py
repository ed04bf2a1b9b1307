"""The use cases a hosting application calls (bookings, requests, dispatch, closure...).

Commands are plain functions of (unit of work, actor, clock, arguments). They check the policy,
change records through their lifecycles (leaving audit entries) and collect domain events; they
never commit - the caller commits the unit of work once, so each command is atomic.
"""
