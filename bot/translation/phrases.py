"""What the sandbox's buyers say, and the demo's agent replies, in the languages the
demo translates between: the data of the ``demo`` translation provider
(:mod:`bot.translation.phrasebook`). Each entry is one meaning, by language code.

It must cover every Malay, Vietnamese and Chinese line in :mod:`bot.demo.marketplace.buyers`
(a test says so), since those are the demo buyers' languages besides English.
"""

from __future__ import annotations

_MS = (
    ("Hai, barang ni masih ada stok?", "Hi, is this item still in stock?"),
    ("Salam, saya nak tanya pasal pesanan saya.", "Hello, I'd like to ask about my order."),
    ("Hai, kedai buka hari ni?", "Hi, is the shop open today?"),
    ("Bila parcel saya akan dihantar?", "When will my parcel be shipped?"),
    ("Berapa lama penghantaran ke Johor Bahru?", "How long does delivery to Johor Bahru take?"),
    ("Nombor tracking saya tak bergerak tiga hari, boleh tolong semak?",
     "My tracking number hasn't moved for three days, could you please check?"),
    ("Saiz M muat untuk orang tinggi 165 cm tak?", "Does size M fit someone 165 cm tall?"),
    ("Saiz ni ikut standard atau kena ambil satu saiz besar?",
     "Is this standard sizing, or should I take one size up?"),
    ("Ada saiz L tak?", "Do you have size L?"),
    ("Barang sampai rosak, boleh saya dapat refund?",
     "The item arrived damaged, can I get a refund?"),
    ("Saya dapat warna yang salah. Macam mana nak pulangkan?",
     "I got the wrong colour. How do I return it?"),
    ("Saya nak batalkan pesanan ni.", "I want to cancel this order."),
    ("Terima kasih banyak!", "Thank you very much!"),
    ("Baik, terima kasih sebab balas cepat.", "Alright, thanks for replying so quickly."),
    ("Okey, noted. Terima kasih!", "Okay, noted. Thank you!"),
    ("Ya, boleh.", "Yes, that's fine."),
    ("Okey, macam tu pun boleh.", "Okay, that works for me."),
    ("Boleh, teruskan.", "Sure, go ahead."),
)

_VI = (
    ("Chào shop, sản phẩm này còn hàng không ạ?", "Hello, is this product still in stock?"),
    ("Xin chào, mình muốn hỏi về đơn hàng của mình.", "Hello, I'd like to ask about my order."),
    ("Shop ơi, hôm nay shop có làm việc không?", "Hi, is the shop open today?"),
    ("Khi nào đơn của mình được gửi đi vậy shop?", "When will my order be sent out?"),
    ("Giao hàng về Đà Nẵng mất bao lâu ạ?", "How long does delivery to Da Nang take?"),
    ("Mã vận đơn của mình ba ngày rồi không cập nhật, shop kiểm tra giúp với.",
     "My tracking code hasn't updated for three days, please check it for me."),
    ("Size M có vừa người cao 1m65 không shop?", "Does size M fit someone 1.65 m tall?"),
    ("Áo này đúng size hay nên lấy lớn hơn một size ạ?",
     "Is this true to size, or should I take one size up?"),
    ("Shop có size L không ạ?", "Do you have size L?"),
    ("Hàng nhận được bị hỏng, mình có được hoàn tiền không?",
     "The item I received is damaged, can I get a refund?"),
    ("Mình nhận sai màu rồi. Đổi trả thế nào ạ?",
     "I received the wrong colour. How do I return it?"),
    ("Mình muốn hủy đơn này.", "I want to cancel this order."),
    ("Cảm ơn shop nhiều!", "Thank you so much!"),
    ("Dạ, cảm ơn shop đã trả lời nhanh.", "Thank you for replying so quickly."),
    ("Ok shop, cảm ơn nha!", "Okay, thanks!"),
    ("Dạ vâng ạ.", "Yes, okay."),
    ("Ok, vậy được ạ.", "Okay, that works."),
    ("Được shop, cứ làm vậy nhé.", "Sure, please go ahead."),
)

_ZH = (
    ("你好，这个还有货吗？", "Hello, is this still in stock?"),
    ("您好，我想问一下我的订单。", "Hello, I'd like to ask about my order."),
    ("请问什么时候发货？", "When will it be shipped?"),
    ("寄到裕廊西大概要几天？", "How many days does delivery to Jurong West take?"),
    ("身高165穿M码合适吗？", "Does size M fit if I am 165 cm tall?"),
    ("有L码吗？", "Do you have size L?"),
    ("收到的商品坏了，可以退款吗？", "The item I received is broken, can I get a refund?"),
    ("颜色发错了，怎么退货？", "You sent the wrong colour, how do I return it?"),
    ("非常感谢！", "Thank you very much!"),
    ("好的，谢谢你这么快回复。", "Okay, thanks for replying so quickly."),
    ("好的，可以。", "Okay, that's fine."),
    ("行，就这样吧。", "Alright, let's do that."),
    ("我身高165厘米，应该选哪个尺码？", "I am 165 cm tall, which size should I take?"),
)

#: The demo agent's replies (and a few an agent may type in the demo's browser view).
REPLIES = (
    {"en": "No problem, we will cancel the order and refund you in full within 3 "
           "working days.",
     "ms": "Tiada masalah, kami akan batalkan pesanan dan memulangkan bayaran penuh "
           "dalam masa 3 hari bekerja.",
     "vi": "Không sao ạ, shop sẽ hủy đơn và hoàn tiền đầy đủ cho bạn trong vòng 3 ngày "
           "làm việc.",
     "zh": "没问题，我们会取消订单，并在3个工作日内全额退款。"},
    {"en": "Anything else I can help with?",
     "ms": "Ada apa-apa lagi yang boleh saya bantu?",
     "vi": "Shop có thể giúp gì thêm cho bạn không ạ?",
     "zh": "还有什么可以帮您的吗？"},
    {"en": "Thank you for your patience!",
     "ms": "Terima kasih atas kesabaran anda!",
     "vi": "Cảm ơn bạn đã kiên nhẫn chờ đợi!",
     "zh": "感谢您的耐心等待！"},
    {"en": "Your parcel has been shipped today.",
     "ms": "Parcel anda telah dihantar hari ini.",
     "vi": "Đơn hàng của bạn đã được gửi đi hôm nay.",
     "zh": "您的包裹今天已经发出。"},
)

PHRASES: tuple[dict[str, str], ...] = (
    *({"ms": line, "en": en} for line, en in _MS),
    *({"vi": line, "en": en} for line, en in _VI),
    *({"zh": line, "en": en} for line, en in _ZH),
    *REPLIES,
)
