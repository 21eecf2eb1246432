"""Text that came from a file, made safe for a terminal: the one escaping function, and tables built with it.

A RAW file's Make, a model's metadata, a file name or a benchmark result's host name can carry a newline (which would
forge a line of output, an error line included), an ANSI or OSC sequence (which clears the screen or retitles the
terminal) or a megabyte of text. Every such string is printed through `printable`, every table through `safe_table`.
"""

from tabulate import tabulate

MAX_LINE = 2000  # characters of one printed line; a hostile name must not flood the terminal


def printable(text: str, limit: int = MAX_LINE) -> str:
    """One terminal-safe line: control characters (a file name's newline, ANSI escape sequences) escaped as in
    Python literals, and the middle of an overlong line cut out.

    >>> print(printable("red" + chr(27) + "[31m" + chr(10) + ".dng"))
    red\\x1b[31m\\n.dng
    >>> len(printable("x" * 10_000, limit=100)) <= 100
    True
    """
    safe = "".join(c if c.isprintable() or c == " " else c.encode("unicode_escape").decode("ascii") for c in text)
    if len(safe) <= limit:
        return safe
    keep = limit - 40  # room for the marker
    head, tail = keep * 2 // 3, keep - keep * 2 // 3
    return f"{safe[:head]} ... [{len(safe) - keep} characters cut] ... {safe[len(safe) - tail:]}"


def safe_table(rows, headers, **options) -> str:
    """`tabulate` with every text cell made printable first: a cell can neither break its row nor drive the
    terminal."""
    clean = [[printable(cell) if isinstance(cell, str) else cell for cell in row] for row in rows]
    if isinstance(headers, list | tuple):
        headers = [printable(h) if isinstance(h, str) else h for h in headers]
    return tabulate(clean, headers=headers, **options)
