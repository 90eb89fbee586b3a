"""The auth module: password login, JWT access tokens, rotating refresh tokens, sessions.

It answers the core's `principal_resolver` hook, so other modules reach the caller through
`core.deps.CurrentPrincipal` and never import this package: it has no public surface.
"""
