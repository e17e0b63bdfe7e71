"""Registry of resources prohibited by law or by a court decision: import and matching.

``parse_registry`` streams :class:`~kuzet.records.RegistryEntry` records (and
:class:`RegistryRowError` for bad rows) from the public dump or a CSV; ``RegistryMatcher``
answers "is this URL, channel or server address covered by a decision?" with dictionary lookups.
"""

from kuzet.link.registry_match import RegistryMatcher, normalise_host, normalise_resource
from kuzet.link.registry_parse import RegistryRowError, entry_key, manual_entry, parse_registry

__all__ = [
    "RegistryMatcher",
    "RegistryRowError",
    "entry_key",
    "manual_entry",
    "normalise_host",
    "normalise_resource",
    "parse_registry",
]
