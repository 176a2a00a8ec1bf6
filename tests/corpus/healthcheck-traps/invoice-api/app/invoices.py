from decimal import ROUND_HALF_UP, Decimal


def line_total(quantity: int, unit_price: str) -> Decimal:
    if quantity <= 0:
        raise ValueError("quantity must be positive")
    return (Decimal(unit_price) * quantity).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def invoice_total(lines: list[dict], vat_rate: str = "0.20") -> dict:
    net = sum((line_total(line["quantity"], line["unit_price"]) for line in lines), Decimal("0.00"))
    vat = (net * Decimal(vat_rate)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return {"net": str(net), "vat": str(vat), "gross": str(net + vat)}
