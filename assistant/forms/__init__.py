"""Documents produced from an Application: application form, confirmation sheet, articles of association."""

from assistant.forms.render import render_document

__all__ = ["render_document"]
