"""Priority keywords: words that make a manager want to look now, in the buyers'
languages. Latin-script words match whole words; Thai and Chinese (no spaces
between words) match as substrings."""

from __future__ import annotations

import re

DEFAULT_KEYWORDS: dict[str, tuple[str, ...]] = {
    "refund": ("refund", "hoàn tiền", "คืนเงิน", "bayaran balik", "pengembalian dana", "退款",
               "reembolso", "devolução do dinheiro"),
    "return": ("return", "trả hàng", "คืนสินค้า", "pulangkan", "retur", "退货", "devolver",
               "devolução", "devolución"),
    "complaint": ("complaint", "khiếu nại", "ร้องเรียน", "aduan", "keluhan", "投诉",
                  "reclamação", "queja", "reclamo"),
    "cancel": ("cancel", "hủy đơn", "huỷ đơn", "ยกเลิก", "batal", "取消", "cancelar"),
    "damaged": ("damaged", "broken", "hư hỏng", "bị vỡ", "เสียหาย", "rosak", "rusak", "损坏",
                "破损", "danificado", "quebrado", "dañado", "roto"),
    "fake": ("fake", "hàng giả", "ของปลอม", "palsu", "tiruan", "假货", "falsificado", "falso"),
}


class PriorityWords:
    def __init__(self, extra: tuple[str, ...] = ()) -> None:
        table = {k: list(v) for k, v in DEFAULT_KEYWORDS.items()}
        for word in extra:
            table.setdefault(word.casefold(), []).append(word)
        self._patterns: list[tuple[str, re.Pattern[str]]] = []
        for label, words in table.items():
            for w in words:
                w = w.casefold()
                spaced = all(ord(ch) < 0x0E00 for ch in w)  # Latin/Vietnamese: word bounds
                pattern = rf"(?<!\w){re.escape(w)}\w{{0,3}}(?!\w)" if spaced else re.escape(w)
                self._patterns.append((label, re.compile(pattern)))

    def find(self, text: str) -> list[str]:
        """Labels (e.g. "refund") of the priority words in ``text``."""
        folded = text.casefold()
        return sorted({label for label, p in self._patterns if p.search(folded)})
