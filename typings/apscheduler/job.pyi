from collections.abc import Callable
from typing import Any

class Job:
    id: str
    name: str
    func: Callable[..., Any]
    def modify(self, **changes: Any) -> Job: ...
