"""Automatic persisted queries (Apollo's APQ protocol) over HTTP POST.

A client sends `extensions: {"persistedQuery": {"version": 1, "sha256Hash": "<hex>"}}` without
the query text. When this process knows the hash, the stored text runs; otherwise the answer is
the error `PersistedQueryNotFound` (code PERSISTED_QUERY_NOT_FOUND) and the client sends the
query again with its hash, which stores it (after checking that the hash is the SHA-256 of the
text). Apollo Client's persisted-queries link and other APQ clients speak exactly this.

The store is per process and bounded (an LRU of `max_entries` texts): another process, or a
restart, answers PersistedQueryNotFound once and learns the text again, which the protocol is
made for. No shared store is needed.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from typing import Any

from graphql import GraphQLError

NOT_FOUND = "PersistedQueryNotFound"
NOT_FOUND_CODE = "PERSISTED_QUERY_NOT_FOUND"
NOT_SUPPORTED_CODE = "PERSISTED_QUERY_NOT_SUPPORTED"
BAD_HASH_CODE = "BAD_REQUEST"


class PersistedQueries:
    """The query texts of the hashes seen lately (LRU). `max_entries=0` turns APQ off."""

    def __init__(self, max_entries: int = 1000) -> None:
        self.max_entries = max_entries
        self._texts: OrderedDict[str, str] = OrderedDict()
        self.hits = 0

    def __len__(self) -> int:
        return len(self._texts)

    def resolve(self, query: str | None, extensions: dict[str, Any] | None) -> str | None:
        """The query to run: `query` itself, or the stored text of the request's hash.

        Raises GraphQLError (PersistedQueryNotFound, a bad hash, APQ turned off)."""
        persisted = (extensions or {}).get("persistedQuery")
        if persisted is None:
            return query
        if self.max_entries <= 0:
            raise _error("PersistedQueryNotSupported", NOT_SUPPORTED_CODE)
        digest = persisted.get("sha256Hash") if isinstance(persisted, dict) else None
        if (
            not isinstance(persisted, dict)
            or persisted.get("version") != 1
            or not isinstance(digest, str)
            or len(digest) != 64
        ):
            raise _error("persistedQuery must be {version: 1, sha256Hash: <64 hex digits>}")
        digest = digest.lower()
        if query is None:
            text = self._texts.get(digest)
            if text is None:
                raise _error(NOT_FOUND, NOT_FOUND_CODE)
            self._texts.move_to_end(digest)
            self.hits += 1
            return text
        if hashlib.sha256(query.encode()).hexdigest() != digest:
            raise _error("provided sha does not match query")
        self._texts[digest] = query
        self._texts.move_to_end(digest)
        while len(self._texts) > self.max_entries:
            self._texts.popitem(last=False)
        return query


def _error(message: str, code: str = BAD_HASH_CODE) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code})
