UNKNOWN: int
TRADITIONAL: int
SIMPLIFIED: int
BOTH: int
MIXED: int

def identify(s: str) -> int: ...
def has_chinese(s: str) -> bool: ...
