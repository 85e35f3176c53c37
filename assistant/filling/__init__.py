"""Conversational form filling (填表): form specs, deterministic parsers, the draft, the dialogue policy and the
pipeline step that fills the standard form from what the applicant says."""
