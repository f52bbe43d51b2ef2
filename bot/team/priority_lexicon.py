"""The priority words in the buyers' languages, as regular expressions over
casefolded, NFC-normalised text.

Each entry lists the word forms that carry the meaning, not a stem with "any
ending": ``cancel`` must reach "cancellation", Malay/Indonesian "batal" must reach
"dibatalkan" and "pembatalan", while "return" must not flag "I will return
tomorrow". Forms that look like a priority word but mean something else are in
``NOT_PRIORITY`` and are blanked before matching.

Latin-script patterns (en, ms/id, tl, pt, es, vi) are matched as whole words, and
pt/es also without accents (buyers often type "devolucao"); Thai and Chinese have
no spaces between words, so theirs match anywhere, and are chosen so that they do
not occur inside unrelated words (Thai "คืน" alone is also "night", Chinese "假"
alone is also "holiday": neither is listed alone).
"""

from __future__ import annotations

# label -> language -> patterns (regular expressions, no flags needed: text is casefolded)
PRIORITY: dict[str, dict[str, tuple[str, ...]]] = {
    "refund": {
        "en": (r"refund(?:s|ed|ing|able)?", r"money back", r"chargeback"),
        "ms/id": (r"bayaran balik", r"pulangan wang",
                  r"(?:pengembalian|kembalikan) (?:dana|uang|wang)",
                  r"uang (?:saya )?kembali", r"duit balik", r"refund(?:nya|kan)?"),
        # "trả tiền" alone is "to pay": only "trả lại tiền" (give the money back) counts
        "vi": (r"hoàn (?:lại )?tiền", r"trả lại tiền"),
        "tl": (r"(?:ibalik|ibabalik|isauli|isasauli) (?:ang|yung|nyo ang|niyo ang) pera",
               r"pera (?:ko )?(?:pabalik|ibalik)", r"i-?refund"),
        "pt": (r"reembols(?:o|os|ar|ado|ada)", r"estorn(?:o|ar|ado|ada)",
               r"devolu[cç][aã]o do (?:meu )?dinheiro", r"dinheiro de volta"),
        "es": (r"reembols(?:o|os|ar|ado|ada|en)", r"devoluci[oó]n del? (?:mi )?dinero",
               r"(?:devuelvan|devuelva|devolver) (?:mi|el) dinero"),
        # "เงินคืน" alone is also a promotion's cashback
        "th": (r"คืนเงิน", r"ขอเงินคืน"),
        "zh": (r"退款", r"退钱", r"退錢", r"退費", r"退费"),
    },
    "return": {
        "en": (r"return(?:s|ed|ing)?", r"send (?:it |this |them )?back"),
        "ms/id": (r"(?:mem|di)?pulangkan", r"pemulangan", r"(?:me|di)?retur(?:kan|nya)?",
                  r"(?:meng|di)?kembalikan(?:nya)?", r"pengembalian(?: barang)?"),
        "vi": (r"trả (?:lại )?hàng", r"đổi trả", r"hoàn hàng", r"gửi trả"),
        "tl": (r"(?:ibalik|ibabalik|ibinalik|binalik|isauli|isasauli|isinauli|sinauli)",
               r"pagsasauli", r"i-?return"),
        "pt": (r"devolv(?:er|o|i|eu|ido|ida|emos)", r"devolvê-l[oa]s?",
               r"devolu[cç](?:ão|ao|ões|oes)"),
        # Spanish joins object pronouns to the verb: "devolverlo", "cancelarla"
        "es": (r"devolv(?:er|í|i|ió|io|ido|ida|emos)(?:l[oa]s?|me)?",
               r"devuelv(?:o|e|an|a)(?:l[oa]s?)?",
               r"devoluci(?:ón|on|ones)"),
        "th": (r"คืนสินค้า", r"ส่งคืน", r"คืนของ", r"ขอคืน(?!เงิน)"),
        "zh": (r"退货", r"退貨", r"退回", r"退换", r"退換"),
    },
    "complaint": {
        "en": (r"complain(?:s|ed|ing|t|ts)?",),
        "ms/id": (r"aduan", r"(?:meng|di)?adu(?:kan)?", r"keluhan", r"mengeluh",
                  r"komplai?n", r"komplen"),
        "vi": (r"khiếu nại", r"phàn nàn"),
        "tl": (r"(?:mag|nag|nagre|magre)?reklamo",),
        "pt": (r"reclama[cç](?:ão|ao|ões|oes)", r"reclam(?:ar|o|ei|ou)", r"queixa(?:s)?"),
        "es": (r"queja(?:s)?", r"quejar(?:me|se)?", r"reclam(?:o|ar|aci[oó]n)"),
        "th": (r"ร้องเรียน", r"ร้องทุกข์"),
        "zh": (r"投诉", r"投訴", r"客诉", r"客訴", r"申诉", r"申訴"),
    },
    "cancel": {
        "en": (r"cancel(?:s|led|ed|ling|ing|lation|lations)?",),
        "ms/id": (r"(?:di|mem|ter)?batal(?:kan|kannya|lah)?", r"pembatalan", r"cancel(?:kan)?"),
        "vi": (r"hủy", r"huỷ"),  # both tone-mark placements are in use
        "tl": (r"(?:i-?|pa|paki)?kansela(?:hin)?", r"kinansela", r"(?:i|paki)-?cancel"),
        "pt": (r"cancel(?:ar|o|ei|ou|ado|ada|amento|e)",),
        "es": (r"cancel(?:ar|o|é|e|ado|ada|aci[oó]n|en)(?:l[oa]s?|me)?", r"anular(?:l[oa])?"),
        "th": (r"ยกเลิก",),
        "zh": (r"取消",),
    },
    "damaged": {
        "en": (r"damage[ds]?", r"broken", r"defective", r"faulty", r"cracked", r"shattered"),
        "ms/id": (r"(?:ke)?rosak(?:an)?", r"(?:ke)?rusak(?:an|nya)?", r"pecah", r"cacat"),
        "vi": (r"hư hỏng", r"(?:bị )?hỏng", r"(?:bị )?vỡ", r"bị móp"),
        "tl": (r"(?:na)?sira(?:ng|na)?", r"basag", r"depektibo"),
        "pt": (r"danificad[oa]s?", r"quebrad[oa]s?", r"avariad[oa]s?", r"defeituos[oa]s?",
               r"com defeito"),
        "es": (r"dañad[oa]s?", r"danad[oa]s?", r"rot[oa]s?", r"defectuos[oa]s?",
               r"averiad[oa]s?"),
        "th": (r"เสียหาย", r"ชำรุด", r"แตกหัก", r"สินค้าพัง", r"ของพัง"),
        "zh": (r"损坏", r"損壞", r"破损", r"破損", r"坏了", r"壞了", r"坏掉", r"壞掉"),
    },
    "fake": {
        "en": (r"fakes?", r"counterfeit", r"knock-?off"),
        "ms/id": (r"palsu", r"tiruan"),
        "vi": (r"hàng giả", r"hàng nhái", r"đồ giả"),
        "tl": (r"peke", r"pineke"),
        "pt": (r"falsificad[oa]s?", r"falso", r"pirata", r"r[ée]plica"),
        "es": (r"falsificad[oa]s?", r"falso", r"pirata", r"r[ée]plica", r"imitaci[oó]n"),
        "th": (r"ของปลอม", r"สินค้าปลอม", r"ของก๊อป"),
        "zh": (r"假货", r"假貨", r"赝品", r"贗品", r"仿冒", r"山寨"),
    },
}

# Phrases that contain a priority form but are not about the order.
NOT_PRIORITY: tuple[str, ...] = (
    # "I will return tomorrow", "return later", "returning customer", "tax return"
    r"return(?:s|ed|ing)? (?:tomorrow|later|soon|tonight|home|again|shortly|next \w+|"
    r"this (?:afternoon|evening|weekend)|to (?:the )?(?:chat|shop|store)|back to you)\b",
    r"(?:\w*'ll|will|shall|to|i) return (?:on|in|at|after|before) (?:monday|tuesday|wednesday|"
    r"thursday|friday|saturday|sunday|the weekend|\d+)",
    r"returning (?:customers?|buyers?|shoppers?|clients?|visitors?|users?)",
    r"(?:repeat|return) (?:customers?|buyers?)", r"tax returns?",
    # not damaged / no damage, in the languages that say it with a leading negation
    r"(?:not|no|without any|without) (?:damage[ds]?|broken)", r"undamaged",
    r"(?:tidak|tak|tiada|bukan|ga|gak|nggak) (?:ada )?(?:rosak|rusak)",
    r"không (?:bị )?(?:hỏng|vỡ|hư hỏng)", r"hindi (?:naman )?sira",
    r"(?:não|nao) (?:está |esta |veio )?(?:danificad[oa]|quebrad[oa])",
    r"no (?:está |esta |vino )?(?:dañad[oa]|rot[oa])",
    r"ไม่(?:ได้)?(?:เสียหาย|ชำรุด)", r"没有?(?:损坏|破损)", r"沒有?(?:損壞|破損)",
    # "is it fake?" is a priority, "fake it", "fake news" are not worth a page
    r"fake news",
    # Portuguese "rota" is a delivery route, Spanish "rota" is broken
    r"(?:em|na|da|de|sua|nossa|a) rota", r"rota de (?:entrega|envio|transporte)",
)
