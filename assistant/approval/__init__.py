"""The approval engine (智能审批): deterministic rule modules over an Application → Decision.

No LLM decides. Pure functions over the application and read-only reference data; callable by the
assistant, the API (/v1/approval/check), the CLI (`daoban check`) and any other system.
"""

from assistant.approval.engine import ApprovalEngine
from assistant.approval.model import Application, Decision, Finding

__all__ = ["Application", "ApprovalEngine", "Decision", "Finding"]
