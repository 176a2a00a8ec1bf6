from collections import defaultdict
from decimal import Decimal


def revenue_by_month(invoices: list[dict]) -> dict[str, str]:
    """Sum gross amounts per YYYY-MM of the issue date."""
    totals: dict[str, Decimal] = defaultdict(lambda: Decimal("0.00"))
    for invoice in invoices:
        totals[invoice["issued"][:7]] += Decimal(invoice["gross"])
    return {month: str(total) for month, total in sorted(totals.items())}
