"""LLM proposals for form fields (setting ``fill_llm=fallback``): when the parsers find nothing in an answer to a
question the assistant asked, the local model proposes ``field=value`` lines from a short, fixed, KV-primeable
prompt (prompts/fill_propose.md); each proposed value is then run through the deterministic parsers as an answer
to that field, and only what they confirm is kept. The model sees the PII-masked message only."""

from __future__ import annotations

import logging
import re

from assistant.errors import DaobanError
from assistant.filling.draft import FormDraft
from assistant.filling.extract import Extraction, Extractor
from assistant.filling.policy import FillPolicy
from assistant.ports import ChatModel
from assistant.prompts import PromptTemplate

log = logging.getLogger(__name__)
_LINE = re.compile(r"^\s*([A-Za-z_.0-9]+)\s*[=：:]\s*(.+?)\s*$")
MAX_TOKENS = 48


class LlmProposer:
    def __init__(self, chat: ChatModel, prompt: PromptTemplate, extractor: Extractor, policy: FillPolicy) -> None:
        self.chat = chat
        self.prompt = prompt
        self.extract = extractor
        self.policy = policy
        self.calls = 0
        self.confirmed = 0

    def prime(self) -> None:
        prime = getattr(self.chat, "prime", None)
        if prime is not None:
            prime(self.prompt.render(fields="phone（联系电话）", message=""))

    def __call__(self, text: str, draft: FormDraft, vault: dict[str, str], lang: str) -> Extraction:
        """Proposals for the fields the last reply asked for, each confirmed by the parsers (empty if none)."""
        missing = self.policy.missing(draft)
        keys = [*draft.asked, *(m.key for m in missing[:4])]
        asked = [k for k in dict.fromkeys(keys) if not k.endswith(".id_number")]  # numbers are never guessed
        out = Extraction()
        if not asked:
            return out
        labels = {m.key: m.label(draft, "zh") for m in missing}
        fields = "；".join(f"{k}（{labels.get(k, k)}）" for k in asked)
        self.calls += 1
        try:
            reply = self.chat.complete(self.prompt.render(fields=fields, message=text[:300]), max_tokens=MAX_TOKENS)
        except DaobanError as exc:
            log.info("fill proposal skipped: %s", exc.message_en)
            return out
        for line in reply.splitlines():
            m = _LINE.match(line)
            if not m or m.group(1) not in asked:
                continue
            key, value = m.group(1), m.group(2)
            probe = draft.model_copy(deep=True)
            probe.asked = [key]
            found = self.extract(value, probe, vault, lang)
            kept = [x for x in found.proposals if x.field == key or x.field.startswith("people.")]
            if kept:
                draft.people = probe.people  # a person the value named (监事 何美玲)
                draft.fields.update({k: v for k, v in probe.fields.items() if v.source == "pending"})
                for x in kept:
                    out.add(x.field, x.value, min(x.confidence, 0.6), x.typed)
                self.confirmed += 1
        return out
