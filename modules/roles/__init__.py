"""Roles: named sets of the permissions modules declare, granted to users.

Other modules never import it: what a user may do reaches them through the core
(`rights_of`, `roles_of`), and changes through its event `user_rights_changed`.
"""

__all__: list[str] = []
