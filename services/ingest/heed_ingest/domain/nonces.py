"""How a signed webhook's nonce was seen before, and what that means for its body. Pure: no I/O.

WeChat's plaintext signature and Weibo's sign only token, timestamp and nonce, never the body, so a
captured URL could carry any body while its timestamp is in the window. Remembering each nonce for
that window with the hash of its body tells a platform's retry (same body: answered, not published
again) from a forgery (another body: refused).
"""

from __future__ import annotations

import enum


class Claim(enum.Enum):
    PUBLISH = "publish"  # first sight, or a retry of a delivery not yet acknowledged: publish it
    ALREADY_PUBLISHED = "already_published"  # a retry of a published delivery: answer, publish nothing
    REUSED = "reused"  # the nonce came with another body: a replayed signature


def judge_claim(stored_sha256: bytes, published: bool, body_sha256: bytes) -> Claim:
    """The claim on a nonce already recorded with `stored_sha256`, presented again with `body_sha256`."""
    if stored_sha256 != body_sha256:
        return Claim.REUSED
    return Claim.ALREADY_PUBLISHED if published else Claim.PUBLISH
