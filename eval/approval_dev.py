"""Approval development set: every eval/datasets/approval/dev_*.jsonl line through the whole engine.

Each line: {"id", "description", "application", "expect_rules": [...], "expect_decision"?: pass|review|block}.
Reports, per file and overall: how many expected rule ids were found (recall), decisions that match where a
decision is expected, and unexpected block findings on applications expected to be clean.

    python -m eval.approval_dev [--verbose]
"""

from __future__ import annotations

import argparse
import json

from assistant.approval import Application, ApprovalEngine
from assistant.settings import PROJECT_ROOT, get_settings

DATASETS = PROJECT_ROOT / "eval" / "datasets" / "approval"


def load_cases() -> list[tuple[str, dict]]:
    cases = []
    for f in sorted(DATASETS.glob("dev_*.jsonl")):
        for i, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                cases.append((f"{f.name}:{i}", json.loads(line)))
    return cases


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    s = get_settings()
    engine = ApprovalEngine.from_paths(s.data_dir, s.knowledge_dir)
    expected = found = decided = decided_ok = clean = clean_blocked = 0
    for where, case in load_cases():
        d = engine.check(Application.model_validate(case["application"]))
        got = {f.rule for f in d.findings}
        want = set(case.get("expect_rules", []))
        expected += len(want)
        found += len(want & got)
        if "expect_decision" in case:
            decided += 1
            decided_ok += d.decision == case["expect_decision"]
        if not want:
            clean += 1
            clean_blocked += d.decision == "block"
        if args.verbose or not want <= got:
            missing = sorted(want - got)
            print(f"{where} {case.get('id', '')}: {d.decision}; missing {missing}; got {sorted(got)}")
    print(
        f"cases {len(load_cases())}: expected rule ids found {found}/{expected}; "
        f"decisions matching {decided_ok}/{decided}; clean applications blocked {clean_blocked}/{clean}"
    )


if __name__ == "__main__":
    main()
