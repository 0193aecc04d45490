"""Reading an authentic body as JSON, with a reason a person can act on when it is not."""

from __future__ import annotations

import json
from typing import Any

from heed_ingest.domain.drafts import UnparseableBody


def load_json(body: bytes, platform: str) -> Any:
    """The JSON value of `body` (UTF-8, a BOM allowed); raises UnparseableBody naming the platform."""
    try:
        return json.loads(body.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise UnparseableBody(f"{platform} body is not UTF-8: {exc.reason} at byte {exc.start}") from None
    except json.JSONDecodeError as exc:
        raise UnparseableBody(
            f"{platform} body is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise UnparseableBody(f"{platform} body nests arrays or objects too deeply to read") from None
