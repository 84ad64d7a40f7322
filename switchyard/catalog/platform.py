"""Platforms: the same dialect served by the vendor (direct), Amazon Bedrock or Vertex AI.

One pure check (``platform_problem``) used by the Provider model, and the same rules as CEL for
the API server, so a Provider that cannot be served is refused before anything reconciles it.
"""

from __future__ import annotations

from typing import Any

from .vocabulary import AuthScheme, Dialect, Platform

# Schemes that may take their credentials from the pod's environment instead of a Secret.
ENVIRONMENT_SCHEMES = frozenset({AuthScheme.NONE, AuthScheme.AWS_SIGV4, AuthScheme.GOOGLE_OAUTH})
# platform -> the dialects it serves, the auth scheme it needs, and whether region/project are
PLATFORM_DIALECTS: dict[Platform, frozenset[Dialect]] = {
    Platform.BEDROCK: frozenset({Dialect.ANTHROPIC}),
    Platform.VERTEX: frozenset({Dialect.ANTHROPIC, Dialect.GOOGLE}),
}
PLATFORM_AUTH: dict[Platform, AuthScheme] = {
    Platform.BEDROCK: AuthScheme.AWS_SIGV4,
    Platform.VERTEX: AuthScheme.GOOGLE_OAUTH,
}


def platform_problem(
    platform: Platform, dialect: Dialect, scheme: AuthScheme, region: str | None,
    project: str | None,
) -> str | None:  # fmt: skip
    """What makes this combination unservable, or None."""
    if platform is Platform.DIRECT:
        if scheme in PLATFORM_AUTH.values():
            return f"auth.scheme {scheme.value} needs platform bedrock or vertex"
        return None
    dialects = PLATFORM_DIALECTS[platform]
    if dialect not in dialects:
        names = " or ".join(sorted(d.value for d in dialects))
        return f"platform {platform.value} serves dialect {names}, not {dialect.value}"
    if scheme is not PLATFORM_AUTH[platform]:
        return f"platform {platform.value} needs auth.scheme {PLATFORM_AUTH[platform].value}"
    if region is None:
        return f"platform {platform.value} needs region"
    if platform is Platform.VERTEX and project is None:
        return "platform vertex needs project"
    return None


_AUTH = "(has(self.auth) && has(self.auth.scheme) ? self.auth.scheme : 'bearer')"
_PLATFORM = "(has(self.platform) ? self.platform : 'direct')"
PLATFORM_RULES: list[dict[str, Any]] = [
    {
        "rule": f"{_PLATFORM} != 'bedrock' || (self.dialect == 'anthropic' && "
        f"{_AUTH} == 'aws-sigv4' && has(self.region))",
        "message": "platform bedrock needs dialect anthropic, auth.scheme aws-sigv4 and region",
    },
    {
        "rule": f"{_PLATFORM} != 'vertex' || (self.dialect in ['anthropic', 'google'] && "
        f"{_AUTH} == 'google-oauth' && has(self.region) && has(self.project))",
        "message": "platform vertex needs dialect anthropic or google, auth.scheme google-oauth, "
        "region and project",
    },
    {
        "rule": f"{_PLATFORM} != 'direct' || !({_AUTH} in ['aws-sigv4', 'google-oauth'])",
        "message": "auth.scheme aws-sigv4 and google-oauth need platform bedrock or vertex",
    },
]
