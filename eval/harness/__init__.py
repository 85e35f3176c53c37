"""The evaluation harness (issue 9): ``daoban eval TASK``. Tasks are small adapters (eval/harness/tasks), every run
writes a folder under var/eval/runs with its config, per-item results, a summary and the reports. See docs/EVAL.md."""
