"""Which replies promise money or policy, and so wait for a manager's approval.

Built-in words cover refunds, discounts, vouchers and compensation in the buyers'
languages (English, Vietnamese, Thai, Malay/Indonesian, Chinese, Portuguese, Spanish);
amounts are a number with a currency or a percentage. ``approval:`` at the top of the
config and per store adds words and patterns or turns the gate off.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.config_checker import Checker

WORDS = (
    "refund", "reimburse", "money back", "discount", "voucher", "coupon", "promo code",
    "cashback", "cash back", "compensation", "compensate", "free of charge", "store credit",
    "hoàn tiền", "trả lại tiền", "giảm giá", "mã giảm", "phiếu giảm", "bồi thường", "đền bù",
    "คืนเงิน", "ส่วนลด", "คูปอง", "โค้ดส่วนลด", "ชดเชย",
    "bayaran balik", "pulangan wang", "wang dikembalikan", "diskaun", "baucar", "pampasan",
    "pengembalian dana", "uang kembali", "diskon", "potongan harga", "kompensasi", "ganti rugi",
    "退款", "退钱", "折扣", "优惠券", "代金券", "补偿", "赔偿",
    "reembolso", "desconto", "descuento", "cupom", "cupón", "compensação", "compensación",
)
CURRENCY = (r"(?:S\$|US\$|\$|RM|Rp\.?|₫|฿|₱|€|¥|元|USD|SGD|MYR|VND|THB|IDR|PHP|BRL|R\$|"
            r"đ|dong|baht|บาท|ringgit|rupiah|peso|k\b)")
AMOUNTS = (rf"{CURRENCY}\s?\d[\d.,]*", rf"\d[\d.,]*\s?{CURRENCY}", r"\d+(?:[.,]\d+)?\s?%")


@dataclass(frozen=True)
class ApprovalConfig:
    enabled: bool = True
    keywords: tuple[str, ...] = ()  # added to WORDS
    amount_patterns: tuple[str, ...] = ()  # added to AMOUNTS (regular expressions)


def risky(text: str, config: ApprovalConfig) -> str | None:
    """What in ``text`` promises money or policy (for the managers), or None."""
    if not config.enabled:
        return None
    low = text.lower()
    for word in (*WORDS, *config.keywords):
        if word.lower() in low:
            return f"“{word}”"
    for pattern in (*AMOUNTS, *config.amount_patterns):
        m = re.search(pattern, text, re.IGNORECASE)
        if m:
            return f"the amount “{m.group(0).strip()}”"
    return None


def read_approval(c: Checker, key: str, raw: Any) -> ApprovalConfig | None:
    """``approval: {enabled, keywords, amount_patterns}``; None when absent."""
    if raw is None:
        return None
    t = c.mapping(key, raw, {"enabled", "keywords", "amount_patterns"})
    enabled = t.get("enabled", True)
    if not isinstance(enabled, bool):
        c.problem(f"{key}.enabled", f"expected true or false, got {enabled!r}")
        enabled = True
    lists: dict[str, tuple[str, ...]] = {}
    for name in ("keywords", "amount_patterns"):
        items = t.get(name) or []
        if not isinstance(items, list) or not all(isinstance(i, str) and i for i in items):
            c.problem(f"{key}.{name}", "expected a list of non-empty strings")
            items = []
        lists[name] = tuple(items)
    for i, pattern in enumerate(lists["amount_patterns"]):
        try:
            re.compile(pattern)
        except re.error as e:
            c.problem(f"{key}.amount_patterns[{i}]", f"not a regular expression: {e}")
    return ApprovalConfig(enabled, lists["keywords"], lists["amount_patterns"])
