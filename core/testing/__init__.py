"""The test kit: apps of chosen modules on either backend, HTTP and WebSocket clients, events,
tasks, mail.

Its fixtures come with the `trellis` pytest plugin (`core.testing.plugin`); these are the
helpers behind them, for tests that build apps their own way.
"""

from core.testing.apps import (
    ClientFactory,
    TrellisClient,
    client_for,
    plugins,
    random_prefix,
    running,
)
from core.testing.databases import TEST_SECRET, Backend, isolated_settings
from core.testing.events import EventRecorder
from core.testing.sockets import Closed, Refused, Socket
from core.testing.tasks import TaskRow, Tasks, task_rows, tasks_settled

__all__ = [
    "TEST_SECRET",
    "Backend",
    "ClientFactory",
    "Closed",
    "EventRecorder",
    "Refused",
    "Socket",
    "TaskRow",
    "Tasks",
    "TrellisClient",
    "client_for",
    "isolated_settings",
    "plugins",
    "random_prefix",
    "running",
    "task_rows",
    "tasks_settled",
]
