from decimal import Decimal


def digest_lines(report: dict[str, str]) -> list[str]:
    """One line per month, with the change against the month before."""
    lines: list[str] = []
    previous: Decimal | None = None
    for month, total in sorted(report.items()):
        amount = Decimal(total)
        change = "" if previous is None else f" ({amount - previous:+})"
        lines.append(f"{month}: {amount}{change}")
        previous = amount
    return lines
