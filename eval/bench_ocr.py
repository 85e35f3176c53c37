"""OCR benchmark on generated documents: classification, character accuracy, key-field accuracy (clean vs
degraded), check-digit catches, seconds per image, and form fields filled from an ID card + lease.

    python -m eval.bench_ocr [--n 64] [--n-photo 24] [--engine rapidocr|paddleocr|both] [--threads 2]
                             [--no-perspective] [--photo-strength 0.05 0.20] [--out results.json]

Groups: clean, degraded (rotation, blur, JPEG noise, low contrast) and perspective (photos of the document on
a table at an angle: ``docgen.photo_set``, variants "perspective" and "photo"; both count as degraded).
``--no-perspective`` reads without flattening photos (the before/after comparison).

Timing goal (issue 8): ≤ 1.5 s per image on 2 cores. Run under ``taskset -c 0,1`` and note ``uptime``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import time
import unicodedata
from collections import defaultdict
from pathlib import Path

from assistant.documents import DocumentReader, ReadDocument
from assistant.ports import OcrEngine
from assistant.settings import get_settings
from eval import docgen

# 个体工商户登记（备案）申请书 fields an applicant types at 设立 (shared data/registration_forms), and which of
# them an ID card front + a lease fill: (doc type, document field) → form key
FORM_FIELDS_SETUP = (
    "name", "phone", "postcode", "business_premises", "is_ecommerce", "capital_amount", "paper_license_copies",
    "business_scope", "operator_name", "operator_gender", "operator_ethnicity", "operator_education",
    "operator_political_status", "operator_id_type", "operator_id_number", "operator_phone",
    "operator_occupation_status", "operator_residence", "composition", "agent_authority", "agent_contact",
)  # fmt: skip
FROM_DOCS = {
    ("id_front", "name"): "operator_name",
    ("id_front", "sex"): "operator_gender",
    ("id_front", "ethnicity"): "operator_ethnicity",
    ("id_front", "id_number"): "operator_id_type",  # the type comes with the number
    ("id_front", "address"): "operator_residence",
    ("lease_contract", "address"): "business_premises",
}
ID_NUMBER_KEY = ("id_front", "id_number")


def canon(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text or "").split())


def substring_distance(line: str, text: str) -> int:
    """Edit distance of ``line`` to its best-matching stretch of ``text`` (semi-global alignment): each printed
    line is scored where the OCR put it, so reading order across columns does not count as an error."""
    prev = [0] * (len(text) + 1)
    for i, ca in enumerate(line, 1):
        cur = [i]
        for j, cb in enumerate(text, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return min(prev)


def build_engine(name: str, threads: int) -> OcrEngine:
    from assistant.documents import engines

    if name == "paddleocr":
        model_dir = Path(os.environ.get("DAOBAN_PADDLE_MODEL_DIR", get_settings().models_dir / "paddleocr"))
        return engines.PaddleOcrEngine(model_dir, threads=threads)
    return engines.RapidOcrEngine(threads=threads)


def group_of(d: docgen.GenDoc) -> str:
    if d.variant == "clean":
        return "clean"
    return "perspective" if d.variant in docgen.PHOTO_DEGRADATIONS else "degraded"


def run(engine_name: str, docs: list[docgen.GenDoc], threads: int, perspective: bool = True) -> dict:
    s = get_settings()
    reader = DocumentReader(build_engine(engine_name, threads), s.knowledge_dir, s.data_dir, perspective=perspective)
    t0 = time.perf_counter()
    reader.warm_up()
    load_s = time.perf_counter() - t0
    secs: list[float] = []
    cpu: list[float] = []  # process CPU seconds: wall time on idle cores ≈ cpu / threads (load-independent)
    cls_ok = 0
    chars = {"clean": [0, 0], "degraded": [0, 0], "perspective": [0, 0]}  # [errors, length]
    fields = {"clean": [0, 0], "degraded": [0, 0], "perspective": [0, 0]}  # [correct, total]
    group_secs: dict[str, list[float]] = defaultdict(list)
    per_field: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    checks = {"invalid": 0, "caught": 0, "valid": 0, "false_alarm": 0}
    misses: list[str] = []
    for i, d in enumerate(docs):
        t, c = time.perf_counter(), time.process_time()
        doc: ReadDocument = reader.read(d.png())
        secs.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
        group = group_of(d)
        group_secs[group].append(cpu[-1])
        cls_ok += doc.doc_type == d.kind
        pred = canon(doc.text)
        for part in d.parts:
            chars[group][0] += substring_distance(canon(part), pred)
            chars[group][1] += len(canon(part))
        for key, want in d.truth.items():
            got = doc.fields.get(key)
            ok = got is not None and canon(got.value) == canon(want)
            fields[group][0] += ok
            fields[group][1] += 1
            per_field[f"{d.kind}.{key}"][0] += ok
            per_field[f"{d.kind}.{key}"][1] += 1
            if not ok and len(misses) < 40:
                misses.append(f"#{i} {d.kind}/{d.variant} {key}: want {want!r} got {got.value if got else None!r}")
        code_key = {"id_front": "id_number", "business_licence": "credit_code"}.get(d.kind)
        if code_key and code_key in doc.fields:
            st = doc.fields[code_key].state
            if d.valid_checksum:
                checks["valid"] += 1
                checks["false_alarm"] += st == "needs_check"
                if st == "needs_check":
                    misses.append(f"#{i} {d.kind}/{d.variant} {code_key}: false alarm ({doc.fields[code_key].note})")
            else:
                checks["invalid"] += 1
                checks["caught"] += st == "needs_check"

    all_degraded = [fields["degraded"][i] + fields["perspective"][i] for i in (0, 1)]

    def rate(pair: list[int], inverse: bool = False) -> float | None:
        if not pair[1]:
            return None
        return round(1 - pair[0] / pair[1], 4) if inverse else round(pair[0] / pair[1], 4)

    return {
        "engine": engine_name,
        "images": len(docs),
        "load_s": round(load_s, 2),
        "classification_accuracy": round(cls_ok / len(docs), 4),
        "char_accuracy": {g: rate(v, inverse=True) for g, v in chars.items()},
        "key_field_accuracy": {g: rate(v) for g, v in fields.items()} | {"degraded_all": rate(all_degraded)},
        "key_fields": {g: f"{v[0]}/{v[1]}" for g, v in fields.items()},
        "seconds_per_image": {
            "mean": round(statistics.mean(secs), 3),
            "p50": round(statistics.median(secs), 3),
            "p90": round(sorted(secs)[int(0.9 * (len(secs) - 1))], 3),
            "max": round(max(secs), 3),
        },
        "cpu_seconds_per_image": {"mean": round(statistics.mean(cpu), 3), "p50": round(statistics.median(cpu), 3)}
        | {f"mean_{g}": round(statistics.mean(v), 3) for g, v in sorted(group_secs.items())},
        "perspective_correction": perspective,
        "images_per_group": {g: len(v) for g, v in sorted(group_secs.items())},
        "check_digits": checks,
        "per_field": {k: f"{v[0]}/{v[1]}" for k, v in sorted(per_field.items())},
        "misses": misses,
        "form_fill": form_fill(reader),
    }


def form_fill(reader: DocumentReader, sets: int = 5) -> dict:
    """Standard set: an ID card front + a lease (clean). Form fields filled correctly vs typed, per set."""
    rng = random.Random(99)
    filled: list[int] = []
    for _ in range(sets):
        done: set[str] = set()
        for kind in ("id_front", "lease_contract"):
            d = docgen.GENERATORS[kind](rng, True)
            doc = reader.read(d.png())
            for (k_doc, k_field), form_key in FROM_DOCS.items():
                if k_doc != kind:
                    continue
                got = doc.fields.get(k_field)
                if got and canon(got.value) == canon(d.truth[k_field]) and got.state == "ok":
                    done.add(form_key)
                    if (k_doc, k_field) == ID_NUMBER_KEY:
                        done.add("operator_id_number")
        filled.append(len(done))
    total = len(FORM_FIELDS_SETUP)
    return {
        "form": "个体工商户登记（备案）申请书 (设立)",
        "fields_at_setup": total,
        "filled_from_id_and_lease_mean": round(statistics.mean(filled), 2),
        "still_typed_mean": round(total - statistics.mean(filled), 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=64)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--engine", default="rapidocr", choices=("rapidocr", "paddleocr", "both"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--n-photo", type=int, default=24, help="photos at an angle (docgen.photo_set)")
    ap.add_argument("--no-perspective", action="store_true", help="read without flattening photos")
    ap.add_argument(
        "--photo-strength", type=float, nargs=2, default=(0.05, 0.20), help="corner shift, share of the size"
    )
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    docs = docgen.document_set(args.n, args.seed) + docgen.photo_set(
        args.n_photo, args.seed + 10, tuple(args.photo_strength)
    )
    engines = ("rapidocr", "paddleocr") if args.engine == "both" else (args.engine,)
    results = {
        "config": vars(args) | {"out": str(args.out), "machine": platform.node(), "cpus": os.cpu_count()},
        "load_average": os.getloadavg(),
        "runs": [run(e, docs, args.threads, perspective=not args.no_perspective) for e in engines],
    }
    results["load_average_end"] = os.getloadavg()
    text = json.dumps(results, ensure_ascii=False, indent=1)
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
