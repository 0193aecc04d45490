"""Meta Graph API: the text of an Instagram @mention, which its webhook notification leaves out."""

from __future__ import annotations

import json
import uuid

import httpx

from heed.contracts.events import Channel, RawMention
from heed_ingest.domain.drafts import InstagramLookup
from heed_ingest.pollers import RateLimited, rate_limit_wait


class InstagramMentions:
    """The InstagramResolver of the Graph API, with the service's token."""

    def __init__(self, http: httpx.AsyncClient, base_url: str, access_token: str) -> None:
        self.http, self.base_url, self.access_token = http, base_url.rstrip("/"), access_token

    async def resolve(self, lookup: InstagramLookup) -> RawMention:
        """Fetch the mentioning comment or media; the answer travels as a raw event like any body."""
        if lookup.comment_id:
            fields = f"mentioned_comment.comment_id({lookup.comment_id}){{id,text,timestamp,username,media{{id}}}}"
        else:
            fields = f"mentioned_media.media_id({lookup.media_id}){{id,caption,timestamp,username}}"
        response = await self.http.get(f"{self.base_url}/{lookup.ig_user_id}",
                                       params={"fields": fields, "access_token": self.access_token})
        if response.status_code == 429:
            raise RateLimited(rate_limit_wait(response, 1))
        response.raise_for_status()
        body = json.dumps({"ig_user_id": lookup.ig_user_id, "response": response.json()}).encode()
        return RawMention(event_id=uuid.uuid4(), source="poll:instagram", channel=Channel.INSTAGRAM, body=body,
                          origin=f"instagram-mention:{lookup.comment_id or lookup.media_id}")
