"""Which parser reads a raw body: the table from a raw event's source to its channel parser.

The one module that knows every channel: a platform receiver or poller adds its parser here.
"""

from __future__ import annotations

from collections.abc import Callable

from pydantic import ValidationError

from heed.contracts.events import RawMention
from heed_ingest.channels.meta import parse_instagram_lookup, parse_meta
from heed_ingest.channels.wechat import parse_wechat
from heed_ingest.channels.weibo import parse_weibo
from heed_ingest.channels.x import parse_x, parse_x_search
from heed_ingest.domain.drafts import ParseResult, UnparseableBody
from heed_ingest.domain.generic import parse_generic

Parser = Callable[[RawMention], ParseResult]

# source of the raw event → parser of its body
PARSERS: dict[str, Parser] = {
    "replay": lambda raw: ParseResult(parse_generic(raw.body)),
    "api": lambda raw: ParseResult(parse_generic(raw.body, ndjson=raw.content_type == "application/x-ndjson")),
    "webhook:meta": lambda raw: parse_meta(raw.body),
    "poll:instagram": lambda raw: parse_instagram_lookup(raw.body),
    "webhook:x": lambda raw: parse_x(raw.body),
    "webhook:wechat": lambda raw: parse_wechat(raw.body),
    "webhook:weibo": lambda raw: parse_weibo(raw.body),
    "poll:x": lambda raw: parse_x_search(raw.body),
    "poll:weibo": lambda raw: parse_weibo(raw.body),
}


def parse_raw(raw: RawMention) -> ParseResult:
    """What a raw body holds; raises UnparseableBody with a reason a person can act on."""
    parser = PARSERS.get(raw.source)
    if parser is None:
        raise UnparseableBody(f"no parser for source {raw.source!r}; known: {', '.join(sorted(PARSERS))}")
    try:
        return parser(raw)
    except UnparseableBody:
        raise
    except ValidationError as exc:
        # a field of the platform's body has a type or value the mention cannot hold
        reasons = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:5])
        raise UnparseableBody(f"{raw.source} body has a field Heed cannot use: {reasons}") from None
    except (TypeError, ValueError, KeyError, AttributeError, IndexError) as exc:
        raise UnparseableBody(f"{raw.source} body has an unexpected shape: {type(exc).__name__}: {exc}") from None
