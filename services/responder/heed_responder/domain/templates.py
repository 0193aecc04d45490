"""The customer's language and script for what Heed writes: the template language (the brand's
default for languages it has no templates in) and a person's text in the customer's script.

The templates themselves are in the replies file (`catalog.py`).
"""

from __future__ import annotations

from collections.abc import Sequence

from heed_responder.domain.catalog import LANGUAGES
from heed_responder.domain.regional import to_simplified, to_traditional


def in_script(text: str, script: str | None, region: str | None = None, keep: Sequence[str] = ()) -> str:
    """A person's text in the customer's Chinese script and region's standard (an agent may type
    either script); what `keep` names (a quoted name, an order reference) stays as written."""
    if script == "Hant":
        return to_traditional(text, region, keep=keep)
    if script == "Hans":
        return to_simplified(text, keep=keep)
    return text


def template_language(language: str, default: str) -> tuple[str, str | None]:
    """The language to answer in, and the customer's own when it differs (the brand has no
    templates in it: the case says so, it is never silently English)."""
    return (language, None) if language in LANGUAGES else (default, language)


def reply_language(language: str, script: str | None, default: str,
                   preferred: tuple[str, str | None] | None = None) -> tuple[str, str | None, str | None]:
    """The language and Chinese script to answer in, and the customer's own language when the brand
    has no templates in it. A preference on record (`customers.preferred_language`) wins over the
    language detected in the post; Chinese is in the preference's script, else the post's, else
    Simplified."""
    if preferred is not None:
        chosen, wanted = preferred
        if chosen != "zh":
            return chosen, None, None
        return chosen, wanted or (script if language == "zh" else None) or "Hans", None
    chosen, foreign = template_language(language, default)
    return chosen, (script or "Hans") if chosen == "zh" else None, foreign
