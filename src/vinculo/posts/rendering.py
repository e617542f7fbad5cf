"""Text to safe HTML, once, when a post or a comment is written: a small subset of Markdown
(paragraphs, line breaks, emphasis, lists, links, inline code) by markdown-it-py, bare addresses
made links by linkify-it-py, and the result sanitised by nh3 with the tags and attributes listed
here, so that nothing a member writes can run in another member's browser. Mentions, written
`@[Name](member id)`, become links to the member's profile."""

from __future__ import annotations

import re
from collections.abc import Mapping

import nh3
from markdown_it import MarkdownIt

# "zero" enables nothing but paragraphs and text; each rule we take is named. No headings, no
# images, no block quotes, no tables, and never raw HTML (it is shown as text).
_MARKDOWN = MarkdownIt(
    "zero", {"html": False, "linkify": True, "breaks": True, "typographer": False}
).enable(
    ["list", "emphasis", "link", "linkify", "autolink", "newline", "escape", "backticks", "entity"]
)

ALLOWED_TAGS = frozenset({"p", "br", "em", "strong", "ul", "ol", "li", "a", "code"})
ALLOWED_ATTRIBUTES = {"a": {"href"}, "ol": {"start"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow ugc noopener"

# A mention: `@[Ana Ruiz](12)`, the name as the writer saw it and the member's id.
MENTION = re.compile(r"@\[(?P<name>[^\[\]\n]{1,100})\]\((?P<id>[1-9]\d{0,17})\)")
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


def mentioned_ids(text: str) -> list[int]:
    """The members a text mentions, each once, in the order first mentioned."""
    return list(dict.fromkeys(int(found["id"]) for found in MENTION.finditer(text)))


def _escaped(text: str) -> str:
    """Text that Markdown shows as it is."""
    return _PUNCTUATION.sub(r"\\\1", text)


def render(text: str, *, members: Mapping[int, str]) -> str:
    """The HTML of a post or a comment. `members`: the mentioned members the writer may see, by
    id, with their names; a mention of anyone else is shown as its name, without a link."""

    def mention(found: re.Match[str]) -> str:
        member_id = int(found["id"])
        name = members.get(member_id)
        if name is None:
            return _escaped("@" + found["name"])
        return f"[{_escaped('@' + name)}](/members/{member_id})"

    markup = _MARKDOWN.render(MENTION.sub(mention, text))
    return nh3.clean(
        markup,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel=LINK_REL,
        strip_comments=True,
    ).strip()
