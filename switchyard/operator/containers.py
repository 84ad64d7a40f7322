"""What the pods the operator creates have in common: their containers' resources."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Resources:
    """CPU and memory requests and limits of one container."""

    cpu_request: str
    cpu_limit: str
    memory_request: str
    memory_limit: str

    def manifest(self) -> dict[str, dict[str, str]]:
        """The container's ``resources`` stanza."""
        return {
            "requests": {"cpu": self.cpu_request, "memory": self.memory_request},
            "limits": {"cpu": self.cpu_limit, "memory": self.memory_limit},
        }
