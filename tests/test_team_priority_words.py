"""Priority words, language by language: what must flag a conversation (word forms
included) and what only looks like it (negative contexts, other meanings)."""

from __future__ import annotations

import unicodedata

import pytest

from bot.team.priority import PriorityWords

WORDS = PriorityWords()

# language -> [(buyer text, labels expected)]; [] means "not a priority"
CASES: dict[str, list[tuple[str, list[str]]]] = {
    "en": [
        ("I want a refund", ["refund"]),
        ("Was it refunded yet?", ["refund"]),
        ("How do I return this?", ["return"]),
        ("I returned the parcel yesterday", ["return"]),
        ("Please process the cancellation", ["cancel"]),
        ("I cancelled it already", ["cancel"]),
        ("The mug arrived broken", ["damaged"]),
        ("This is a fake, I will complain", ["complaint", "fake"]),
        ("I will return tomorrow", []),
        ("I'll return on Monday to pick it up", []),
        ("Hi, returning customer here!", []),
        ("The box was not damaged, thanks", []),
        ("Has my order shipped?", []),
    ],
    "ms/id": [
        ("Pesanan saya dibatalkan tanpa sebab", ["cancel"]),
        ("Tolong batalkan pesanan", ["cancel"]),
        ("Bagaimana proses pembatalan?", ["cancel"]),
        ("Saya mahu bayaran balik", ["refund"]),
        ("Barang mau saya retur", ["return"]),
        ("Bisa dikembalikan?", ["return"]),
        ("Barangnya rusak", ["damaged"]),
        ("Kotak rosak teruk", ["damaged"]),
        ("Ini barang palsu", ["fake"]),
        ("Saya nak buat aduan", ["complaint"]),
        ("Saya akan kembali besok", []),
        ("Saya pulang dulu ya", []),
        ("Barang tidak rusak, terima kasih", []),
    ],
    "vi": [
        ("Tôi muốn hoàn tiền", ["refund"]),
        ("Cho tôi trả hàng", ["return"]),
        ("Tôi muốn hủy đơn", ["cancel"]),
        ("Tôi muốn huỷ đơn", ["cancel"]),
        ("Sản phẩm bị vỡ", ["damaged"]),
        ("Đây là hàng giả", ["fake"]),
        ("Tôi sẽ khiếu nại", ["complaint"]),
        ("Tôi sẽ trả tiền khi nhận hàng", []),
        ("Cảm ơn, tôi sẽ trả lời sau", []),
        ("Hàng không bị hỏng", []),
        ("Tôi muốn mua cốc thủy tinh", []),  # "thủy" (water) contains "hủy" (cancel)
        ("Cốc thủy tinh bị vỡ", ["damaged"]),
    ],
    "th": [
        ("ขอคืนเงินค่ะ", ["refund"]),
        ("อยากคืนสินค้า", ["return"]),
        ("ขอยกเลิกคำสั่งซื้อ", ["cancel"]),
        ("สินค้าชำรุด", ["damaged"]),
        ("ของปลอมแน่นอน", ["fake"]),
        ("จะร้องเรียน", ["complaint"]),
        ("คืนนี้ส่งได้ไหม", []),
        ("รับเงินคืน 10% โปรโมชั่น", []),
        ("สินค้าไม่เสียหาย ขอบคุณ", []),
    ],
    "tl": [
        ("Gusto kong ibalik ang item", ["return"]),
        ("Pakikansela po ang order", ["cancel"]),  # "paki-": please
        ("Pakansela po ang order", ["cancel"]),
        ("Sira ang dumating", ["damaged"]),
        ("Peke ito", ["fake"]),
        ("Magrereklamo ako", ["complaint"]),
        ("Babalik ako bukas", []),
        ("Hindi sira, salamat", []),
    ],
    "zh-Hans": [
        ("我要退款", ["refund"]),
        ("可以退货吗", ["return"]),
        ("请取消订单", ["cancel"]),
        ("收到的商品损坏了", ["damaged"]),
        ("这是假货", ["fake"]),
        ("我要投诉", ["complaint"]),
        ("我明天回来", []),
        ("假期前能到吗", []),
        ("没有损坏，谢谢", []),
    ],
    "zh-Hant": [
        ("我要投訴", ["complaint"]),
        ("申請退貨", ["return"]),
        ("商品損壞", ["damaged"]),
        ("可以退費嗎", ["refund"]),
        ("這是假貨", ["fake"]),
        ("假日有出貨嗎", []),
        ("沒有損壞", []),
    ],
    "pt": [
        ("Quero o reembolso", ["refund"]),
        ("Quero devolver o produto", ["return"]),
        ("Como faço a devolucao?", ["return"]),
        ("Cancelamento do pedido, por favor", ["cancel"]),
        ("Chegou quebrado", ["damaged"]),
        ("Produto falsificado", ["fake"]),
        ("Vou fazer uma reclamação", ["complaint"]),
        ("Volto amanhã", []),
        ("O pedido saiu em rota de entrega?", []),
        ("Não está danificado, obrigado", []),
    ],
    "es": [
        ("Quiero un reembolso", ["refund"]),
        ("Quiero devolverlo", ["return"]),  # the pronoun joined to the verb
        ("¿Pueden cancelarlo?", ["cancel"]),
        ("Quiero devolver el producto", ["return"]),
        ("La cancelacion no llegó", ["cancel"]),
        ("Llegó roto", ["damaged"]),
        ("La caja llegó rota", ["damaged"]),
        ("Es una imitación", ["fake"]),
        ("Tengo una queja", ["complaint"]),
        ("Vuelvo mañana", []),
        ("No está dañado, gracias", []),
    ],
}


@pytest.mark.parametrize(("language", "text", "expected"),
                         [(lang, text, exp) for lang, rows in CASES.items()
                          for text, exp in rows],
                         ids=[f"{lang}:{text}" for lang, rows in CASES.items()
                              for text, _ in rows])
def test_priority_words_per_language(language: str, text: str, expected: list[str]) -> None:
    assert WORDS.find(text) == expected


def test_decomposed_vietnamese_and_capitals_still_match() -> None:
    assert WORDS.find(unicodedata.normalize("NFD", "HỦY ĐƠN giúp tôi")) == ["cancel"]


def test_a_teams_own_words_are_added() -> None:
    words = PriorityWords(("lawyer", "律师"))
    assert words.find("My lawyers will call") == ["lawyer"]
    assert words.find("我会找律师") == ["律师"]
    assert words.find("I want a refund") == ["refund"]
