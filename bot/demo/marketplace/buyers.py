"""Simulated buyers: what they say, in their own language, and the demo roster.

Pure data and pure functions; the server decides when buyers speak.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

LINES: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "greeting": ("Hi, is this still available?",
                     "Hello! I have a question about my order.",
                     "Hi there, are you open today?"),
        "shipping": ("When will my parcel be shipped?",
                     "How long does delivery to Tampines usually take?",
                     "My tracking number hasn't updated for three days, can you check?"),
        "size": ("Does the medium fit someone who is 165 cm tall?",
                 "Is this true to size or should I go one up?",
                 "Do you have this in size L?"),
        "refund": ("The item arrived damaged, can I get a refund?",
                   "I received the wrong colour. How do I return it?",
                   "I'd like to cancel my order please."),
        "thanks": ("Thank you so much!", "Great, thanks for the quick reply.",
                   "Okay noted, thanks!"),
        "answer": ("Yes, please.", "Okay, that works for me.", "Sure, go ahead."),
    },
    "ms": {
        "greeting": ("Hai, barang ni masih ada stok?",
                     "Salam, saya nak tanya pasal pesanan saya.",
                     "Hai, kedai buka hari ni?"),
        "shipping": ("Bila parcel saya akan dihantar?",
                     "Berapa lama penghantaran ke Johor Bahru?",
                     "Nombor tracking saya tak bergerak tiga hari, boleh tolong semak?"),
        "size": ("Saiz M muat untuk orang tinggi 165 cm tak?",
                 "Saiz ni ikut standard atau kena ambil satu saiz besar?",
                 "Ada saiz L tak?"),
        "refund": ("Barang sampai rosak, boleh saya dapat refund?",
                   "Saya dapat warna yang salah. Macam mana nak pulangkan?",
                   "Saya nak batalkan pesanan ni."),
        "thanks": ("Terima kasih banyak!", "Baik, terima kasih sebab balas cepat.",
                   "Okey, noted. Terima kasih!"),
        "answer": ("Ya, boleh.", "Okey, macam tu pun boleh.", "Boleh, teruskan."),
    },
    "vi": {
        "greeting": ("Chào shop, sản phẩm này còn hàng không ạ?",
                     "Xin chào, mình muốn hỏi về đơn hàng của mình.",
                     "Shop ơi, hôm nay shop có làm việc không?"),
        "shipping": ("Khi nào đơn của mình được gửi đi vậy shop?",
                     "Giao hàng về Đà Nẵng mất bao lâu ạ?",
                     "Mã vận đơn của mình ba ngày rồi không cập nhật, shop kiểm tra giúp với."),
        "size": ("Size M có vừa người cao 1m65 không shop?",
                 "Áo này đúng size hay nên lấy lớn hơn một size ạ?",
                 "Shop có size L không ạ?"),
        "refund": ("Hàng nhận được bị hỏng, mình có được hoàn tiền không?",
                   "Mình nhận sai màu rồi. Đổi trả thế nào ạ?",
                   "Mình muốn hủy đơn này."),
        "thanks": ("Cảm ơn shop nhiều!", "Dạ, cảm ơn shop đã trả lời nhanh.",
                   "Ok shop, cảm ơn nha!"),
        "answer": ("Dạ vâng ạ.", "Ok, vậy được ạ.", "Được shop, cứ làm vậy nhé."),
    },
    "th": {
        "greeting": ("สวัสดีค่ะ สินค้านี้ยังมีอยู่ไหมคะ",
                     "สวัสดีครับ ขอสอบถามเรื่องคำสั่งซื้อหน่อยครับ"),
        "shipping": ("จะจัดส่งพัสดุเมื่อไหร่คะ", "ส่งไปเชียงใหม่ใช้เวลากี่วันครับ"),
        "size": ("สูง 165 ซม. ใส่ไซซ์ M ได้ไหมคะ", "มีไซซ์ L ไหมครับ"),
        "refund": ("สินค้าที่ได้รับเสียหาย ขอคืนเงินได้ไหมคะ",
                   "ได้สีผิดครับ ต้องคืนสินค้ายังไงครับ"),
        "thanks": ("ขอบคุณมากค่ะ", "ขอบคุณครับที่ตอบเร็ว"),
        "answer": ("ได้ค่ะ", "โอเคครับ ตามนั้นเลย"),
    },
    "id": {
        "greeting": ("Halo kak, barang ini masih ready?",
                     "Permisi kak, mau tanya soal pesanan saya."),
        "shipping": ("Kapan paket saya dikirim, kak?",
                     "Pengiriman ke Surabaya biasanya berapa hari?"),
        "size": ("Ukuran M muat untuk tinggi 165 cm nggak?", "Ada ukuran L, kak?"),
        "refund": ("Barangnya datang rusak, bisa refund?",
                   "Warnanya salah kirim. Cara returnya gimana?"),
        "thanks": ("Terima kasih banyak, kak!", "Oke kak, makasih ya."),
        "answer": ("Iya kak, boleh.", "Oke, begitu saja."),
    },
    "zh": {
        "greeting": ("你好，这个还有货吗？", "您好，我想问一下我的订单。"),
        "shipping": ("请问什么时候发货？", "寄到裕廊西大概要几天？"),
        "size": ("身高165穿M码合适吗？", "有L码吗？"),
        "refund": ("收到的商品坏了，可以退款吗？", "颜色发错了，怎么退货？"),
        "thanks": ("非常感谢！", "好的，谢谢你这么快回复。"),
        "answer": ("好的，可以。", "行，就这样吧。"),
    },
    "pt": {
        "greeting": ("Olá, este produto ainda está disponível?",
                     "Oi, tenho uma dúvida sobre o meu pedido."),
        "shipping": ("Quando o meu pedido vai ser enviado?",
                     "Quanto tempo demora a entrega para Campinas?"),
        "size": ("O tamanho M serve para quem tem 1,65 m?", "Vocês têm no tamanho G?"),
        "refund": ("O produto chegou danificado, posso pedir reembolso?",
                   "Recebi a cor errada. Como faço a devolução?"),
        "thanks": ("Muito obrigada!", "Ótimo, obrigado pela resposta rápida."),
        "answer": ("Sim, por favor.", "Tudo bem, pode ser assim."),
    },
    "es": {
        "greeting": ("Hola, ¿todavía tienen este producto?",
                     "Buenas, tengo una pregunta sobre mi pedido."),
        "shipping": ("¿Cuándo envían mi paquete?", "¿Cuánto tarda el envío a Guadalajara?"),
        "size": ("¿La talla M le queda a alguien de 1,65 m?", "¿Tienen talla L?"),
        "refund": ("El producto llegó dañado, ¿me pueden reembolsar?",
                   "Me llegó el color equivocado. ¿Cómo lo devuelvo?"),
        "thanks": ("¡Muchas gracias!", "Perfecto, gracias por responder tan rápido."),
        "answer": ("Sí, por favor.", "Vale, así está bien."),
    },
}

OPENING_TOPICS = ("greeting", "shipping", "size", "refund")
SITE_CURRENCY = {"SG": "SGD", "MY": "MYR", "VN": "VND", "TH": "THB", "ID": "IDR",
                 "PH": "PHP", "BR": "BRL", "MX": "MXN", "TW": "TWD"}
# Kinds a buyer sends in background chatter, weighted towards plain text.
_CHATTER_KINDS = ("text",) * 14 + ("image", "sticker", "product", "order", "voucher", "video")
_PRICE_SCALE = {"VND": 25_000, "IDR": 15_000}


def lines(language: str, topic: str) -> tuple[str, ...]:
    return LINES.get(language, LINES["en"])[topic]


def reply_to_seller(language: str, seller_text: str, rng: random.Random) -> str:
    """What a buyer answers after the seller wrote ``seller_text``."""
    if seller_text.rstrip().endswith(("?", "？")):
        return rng.choice(lines(language, "answer"))
    topic = rng.choice(("thanks", "thanks", "thanks", "shipping", "size"))
    return rng.choice(lines(language, topic))


def opening_line(language: str, rng: random.Random) -> str:
    return rng.choice(lines(language, rng.choice(OPENING_TOPICS)))


def default_content(kind: str, site: str, rng: random.Random) -> dict[str, Any]:
    """Plausible fields for a non-text message kind on a store of ``site``."""
    currency = SITE_CURRENCY.get(site.upper(), "USD")
    scale = _PRICE_SCALE.get(currency, 1)
    n = rng.randint(1000, 9999)
    if kind == "image":
        return {"url": f"https://picsum.photos/seed/sbx{n}/640/480"}
    if kind == "sticker":
        sticker_id, label = rng.choice(_STICKERS)
        return {"sticker_id": sticker_id, "label": label}
    if kind == "product":
        name, price = rng.choice(_PRODUCTS)
        return {"name": name, "url": f"https://sandbox.example/products/{n}",
                "price": f"{price * scale:.2f}", "currency": currency}
    if kind == "order":
        return {"order_sn": f"24{rng.randint(10**9, 10**10 - 1)}SBX",
                "status": rng.choice(("UNPAID", "READY_TO_SHIP", "SHIPPED", "COMPLETED")),
                "amount": f"{rng.choice(_PRODUCTS)[1] * scale:.2f}", "currency": currency}
    if kind == "voucher":
        return {"code": f"SAVE{rng.choice((5, 10, 15))}-{n}", "discount": rng.choice(
            ("10%", "15%", f"{5 * scale} {currency} off"))}
    if kind == "video":
        return {"url": f"https://sandbox.example/videos/{n}.mp4",
                "duration": rng.randint(5, 60)}
    if kind == "live_invite":
        return {"room_id": f"live-{n}", "title": "Flash sale live now!"}
    return {}


def chatter(language: str, site: str, rng: random.Random
            ) -> tuple[str, str | None, dict[str, Any]]:
    """One background message: (kind, text or None, content fields)."""
    kind = rng.choice(_CHATTER_KINDS)
    if kind == "text":
        return kind, opening_line(language, rng), {}
    return kind, None, default_content(kind, site, rng)


_STICKERS = (("stk-wave-01", "waving cat"), ("stk-heart-07", "heart eyes"),
             ("stk-thumb-03", "thumbs up"), ("stk-cry-12", "crying with laughter"))
_PRODUCTS = (("Linen Button-Down Shirt", 29.9), ("Wireless Earbuds Pro", 59.0),
             ("Ceramic Pour-Over Set", 34.5), ("Kids Rain Boots", 19.9))


@dataclass(frozen=True)
class DemoStore:
    shop_id: str
    platform: str
    site: str
    name: str
    access_token: str
    language: str


@dataclass(frozen=True)
class DemoBuyer:
    shop_id: str
    buyer_id: str
    name: str
    language: str
    avatar_url: str | None


def _avatar(name: str) -> str:
    return "https://api.dicebear.com/7.x/initials/png?seed=" + name.replace(" ", "%20")


DEMO_STORES = (
    DemoStore("sg-880001", "shopee", "SG", "Kopi & Co. Homeware", "sbx-token-sg-880001", "en"),
    DemoStore("my-770002", "lazada", "MY", "Kedai Batik Seri", "sbx-token-my-770002", "ms"),
    DemoStore("vn-660003", "tiktok", "VN", "Áo Dài Hà Nội", "sbx-token-vn-660003", "vi"),
)

DEMO_BUYERS = (
    DemoBuyer("sg-880001", "b-1001", "Rachel Tan", "en", _avatar("Rachel Tan")),
    DemoBuyer("sg-880001", "b-1002", "Lim Wei Ming", "zh", _avatar("Lim Wei Ming")),
    DemoBuyer("sg-880001", "b-1003", "Daniel Goh", "en", None),
    DemoBuyer("my-770002", "b-2001", "Nurul Aisyah", "ms", _avatar("Nurul Aisyah")),
    DemoBuyer("my-770002", "b-2002", "Ahmad Faizal", "ms", None),
    DemoBuyer("vn-660003", "b-3001", "Nguyễn Thị Lan", "vi", _avatar("Nguyen Thi Lan")),
    DemoBuyer("vn-660003", "b-3002", "Trần Minh Quân", "vi", None),
    DemoBuyer("vn-660003", "b-3003", "Phạm Thu Hà", "vi", _avatar("Pham Thu Ha")),
)
