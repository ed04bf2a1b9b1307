"""An in-memory :class:`~servicecore.ports.SiteDirectory`: the host's sites, given once.

For tests, demos and hosts whose site list is small and loaded at start; a host with its own
location master data implements the two methods over it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from servicecore.errors import NotFound, ValidationError
from servicecore.ports import Site

__all__ = ["MemorySites"]


class MemorySites:
    """Sites held in memory, checked to form a hierarchy.

    Args:
        sites: Every site; each parent must be among them.

    Raises:
        ValidationError: A site id twice, an unknown parent, or a cycle (the error names the
            site).
    """

    def __init__(self, sites: Iterable[Site]) -> None:
        self._sites: dict[str, Site] = {}
        for site in sites:
            if not isinstance(site, Site):
                raise ValidationError.single("sites", site, "must hold Site values")
            if site.id in self._sites:
                raise ValidationError.single("sites", site.id, "appears twice")
            self._sites[site.id] = site
        self._children: dict[str, list[Site]] = {}
        for site in self._sites.values():
            if site.parent_id is None:
                continue
            if site.parent_id not in self._sites:
                raise ValidationError.single(
                    f"sites[{site.id}].parent_id", site.parent_id, "is not a known site"
                )
            self._children.setdefault(site.parent_id, []).append(site)
        for site in self._sites.values():
            seen = {site.id}
            parent = site.parent_id
            while parent is not None:
                if parent in seen:
                    raise ValidationError.single(
                        f"sites[{site.id}].parent_id", site.parent_id, "makes a cycle"
                    )
                seen.add(parent)
                parent = self._sites[parent].parent_id

    def get(self, site_id: str) -> Site:
        """See :meth:`servicecore.ports.SiteDirectory.get`."""
        found = self._sites.get(site_id)
        if found is None:
            raise NotFound("Site", site_id)
        return found

    def children(self, site_id: str) -> Sequence[Site]:
        """See :meth:`servicecore.ports.SiteDirectory.children`."""
        return sorted(self._children.get(site_id, ()), key=lambda s: s.id)
