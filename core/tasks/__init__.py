"""Background tasks: declared by modules (`register_tasks`), enqueued through `runtime.tasks`
into a transactional outbox, and run by Celery with `BROKER_URL` or in-process without.

Only this package imports Celery (`core.tasks.broker`), and only when a broker is configured.
"""

from core.tasks.queue import TaskQueue, UnknownTask
from core.tasks.spec import Task

__all__ = ["Task", "TaskQueue", "UnknownTask"]
