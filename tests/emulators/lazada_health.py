"""GetSellerPerformance (``/seller/performance/get``) for the Lazada emulator: the
indicators a test sets with :func:`indicator`, shaped as Lazada's reference shows
them (scalars as strings when the emulator quotes scalars, as its example does)."""

from __future__ import annotations

from typing import Any

from tests.emulators.lazada_state import Seller


def indicator(kind: str, name: str, score: float, target: float, *, respected: bool,
              unit: str = "%", higher_is_better: bool = True) -> dict[str, Any]:
    sign = "≥" if higher_is_better else "≤"
    return {"type": kind, "name": name, "tip": f"{name} over the last 8 weeks.",
            "score": score, "score_format": "PERCENTAGE", "formatted_score": f"{score:g}{unit}",
            "target": target, "target_format": ("GREATER_THAN_PERCENTAGE" if higher_is_better
                                                else "LOWER_THAN_PERCENTAGE"),
            "formatted_target": f"{sign} {target:g}{unit}", "target_respected": respected,
            "action_url": "/apps/seller/performance"}


def performance(seller: Seller, indicators: list[dict[str, Any]], *, quoted: bool
                ) -> dict[str, Any]:
    def wire(ind: dict[str, Any]) -> dict[str, Any]:
        if not quoted:
            return ind
        return {k: (str(v).lower() if isinstance(v, bool) else str(v)) for k, v in ind.items()}
    return {"seller_id": seller.seller_id, "main_category_id": "12356",
            "main_category_name": "Fashion", "indicators": [wire(i) for i in indicators]}
