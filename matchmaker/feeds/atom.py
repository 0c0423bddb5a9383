"""Atom documents (RFC 4287), written by feedgen: never XML put together from strings."""

import re
from collections.abc import Iterable
from datetime import datetime
from typing import NamedTuple

from feedgen.feed import FeedGenerator

from matchmaker.web.dates import local_time
from models._types import utcnow

MEDIA_TYPE = "application/atom+xml"
# Characters XML 1.0 cannot hold at all (most control characters); a text that contains one
# (pasted from elsewhere) loses it rather than breaking the whole feed.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class Item(NamedTuple):
    """One entry of a feed; `url` is its page and, being permanent, its Atom id too."""

    url: str
    title: str
    updated: datetime
    summary: str = ""
    categories: tuple[str, ...] = ()
    author: str = ""


def _xml(text: str) -> str:
    return _NOT_XML.sub("", text)


def document(
    *, title: str, page_url: str, feed_url: str, language: str, author: str, items: Iterable[Item]
) -> bytes:
    """The feed of `items` (newest first, as given), titled and linked to its page."""
    items = list(items)
    feed = FeedGenerator()
    feed.id(feed_url)
    feed.title(_xml(title))
    feed.author({"name": _xml(author)})
    feed.link(href=page_url, rel="alternate", type="text/html")
    feed.link(href=feed_url, rel="self", type=MEDIA_TYPE)
    feed.language(language)
    # The newest entry's time: a reader sees the feed change only when its content does.
    # An empty feed is as new as now, on the same clock as every entry's time (local).
    feed.updated(max((item.updated for item in items), default=local_time(utcnow())))
    for item in items:
        entry = feed.add_entry(order="append")
        entry.id(item.url)
        entry.title(_xml(item.title) or item.url)
        entry.link(href=item.url, rel="alternate", type="text/html")
        entry.updated(item.updated)
        if item.summary:
            entry.summary(_xml(item.summary))
        for term in item.categories:
            if term:
                entry.category(term=_xml(term))
        if item.author:
            entry.author({"name": _xml(item.author)})
    return feed.atom_str(pretty=True)
