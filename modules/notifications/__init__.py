"""The notifications module: a signed-in user's own account events, live, over a WebSocket.

`/api/v1/notifications` streams them (see `router.py` for the message format). Other modules
may push their own messages to a user's open sockets with `notify`, which publishes once the
caller's transaction commits.
"""

from modules.notifications.service import notify

__all__ = ["notify"]
