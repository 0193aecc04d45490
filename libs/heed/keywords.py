"""Many literal keywords as one regular expression that branches character by character.

`lawyer|lawyers|lawsuit` is written `law(?:suit|yer(?:s)?)`: at each position of a text the search
follows only the keywords that begin with its character, where a flat alternation tries every
keyword in turn. The router's keyword rules and the classifier's cue tables search with it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable


def prefix_tree(keywords: Iterable[str]) -> str:
    """A regular expression matching exactly `keywords` (empty ones are left out; none at all
    gives an expression that never matches)."""
    tree: dict[str, dict] = {}  # type: ignore[type-arg]
    for keyword in keywords:
        if not keyword:
            continue
        node = tree
        for ch in keyword:
            node = node.setdefault(ch, {})
        node[""] = {}  # a keyword ends here

    def written(node: dict[str, dict]) -> str:  # type: ignore[type-arg]
        branches = [re.escape(ch) + written(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        group = "(?:" + "|".join(branches) + ")" if len(branches) > 1 or "" in node else branches[0]
        return group + "?" if "" in node else group

    return written(tree) if tree else "(?!)"
