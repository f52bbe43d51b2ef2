from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from apscheduler.job import Job
from apscheduler.triggers.base import BaseTrigger

class BaseScheduler:
    @property
    def running(self) -> bool: ...
    def start(self, paused: bool = False) -> None: ...
    def shutdown(self, wait: bool = True) -> None: ...
    # A job may be a plain or a coroutine function; the scheduler ignores what it returns.
    def add_job(
        self,
        func: Callable[..., Any],
        trigger: BaseTrigger | str | None = None,
        args: Iterable[Any] | None = None,
        kwargs: Mapping[str, Any] | None = None,
        id: str | None = None,
        name: str | None = None,
        misfire_grace_time: int | None = ...,
        coalesce: bool = ...,
        max_instances: int = ...,
        next_run_time: datetime | None = ...,
        jobstore: str = "default",
        executor: str = "default",
        replace_existing: bool = False,
        **trigger_args: Any,
    ) -> Job: ...
    def get_jobs(self, jobstore: str | None = None) -> list[Job]: ...
    def get_job(self, job_id: str, jobstore: str | None = None) -> Job | None: ...
    def remove_job(self, job_id: str, jobstore: str | None = None) -> None: ...
