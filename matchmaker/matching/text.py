"""Text normalisation and word segmentation for Chinese-first list entries."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

import opencc

if TYPE_CHECKING:
    import jieba

# A token is kept only if it holds a letter, a digit or a Han character: this drops
# punctuation and whitespace while keeping acronyms (ocr, v2x) and numbers (5g, 2.0).
_MEANINGFUL = re.compile(r"[0-9a-z\u4e00-\u9fff]")


def data_lines(name: str) -> list[str]:
    """Non-blank, non-comment lines of a data file shipped in ``matching/data``."""
    text = resources.files("matchmaker.matching").joinpath("data", name).read_text("utf-8")
    return [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]


@cache
def _converter() -> opencc.OpenCC:
    # tw2sp rather than t2s: it also maps Taiwan phrasing (軟體→软件, 資料庫→数据库).
    return opencc.OpenCC("tw2sp")


@cache
def _phrase_map() -> tuple[re.Pattern[str], dict[str, str]]:
    # Keys as `normalize` meets them: with the mainland words behind their placeholders.
    pairs = {
        _shielded(key): value for key, value in (ln.split() for ln in data_lines("tw_phrases.txt"))
    }
    # Longest first so that 人工智慧 wins over 智慧型-style shorter keys.
    pattern = re.compile("|".join(sorted(map(re.escape, pairs), key=len, reverse=True)))
    return pattern, pairs


@cache
def _shields() -> tuple[re.Pattern[str], dict[str, str], dict[int, str]]:
    """The mainland words kept as written (``data/mainland_words.txt``): a pattern finding
    them in either spelling, each spelling's private-use placeholder, and the table turning
    each placeholder back into its Simplified word (for ``str.translate``)."""
    to_traditional = opencc.OpenCC("s2tw")
    marks: dict[str, str] = {}
    words: dict[int, str] = {}
    for n, word in enumerate(data_lines("mainland_words.txt")):
        mark = chr(0xE000 + n)
        words[ord(mark)] = word
        for spelling in {word, to_traditional.convert(word)}:
            marks[spelling] = mark
    pattern = re.compile("|".join(sorted(map(re.escape, marks), key=len, reverse=True)))
    return pattern, marks, words


def _shielded(text: str) -> str:
    """``text`` with each mainland word behind its placeholder."""
    pattern, marks, _words = _shields()
    return pattern.sub(lambda m: marks[m.group(0)], text)


def normalize(text: str, *, taiwan_phrases: bool = True) -> str:
    """NFKC, Traditional→Simplified (mainland phrasing) and lower-case Latin; without
    ``taiwan_phrases``, the phrases of ``data/tw_phrases.txt`` stay as they are (for text
    written in mainland words, which needs no segmenter)."""
    text = unicodedata.normalize("NFKC", text)
    # The mainland words wait behind placeholders while the Taiwan tables run, so that
    # neither rewrites them nor matches a phrase across one of them.
    text = _converter().convert(_shielded(text))
    if taiwan_phrases:
        text = _taiwan_phrases_replaced(text)
    return text.translate(_shields()[2]).lower()


_SOURCES: dict[str, str] = {}  # normalised word -> its mainland source ("" for none)


def mainland_sources(words: Sequence[str]) -> dict[str, str]:
    """Of ``words`` (normalised), those a mainland text may have written as another mainland
    word, with that word: OpenCC's Taiwan table reads 核心 as the Taiwan word for 内核, 文件
    for 文档, 程序 for 进程, so an entry that wrote 核心 is indexed under 内核 (kept: shielding
    them lost on the labelled lists, docs/matcher.md). An explanation shows the word as written.

    The source is the word's Taiwan phrase (OpenCC's s2twp) in Simplified characters, when
    normalising it gives the word back. Answers are kept for the process (a vocabulary's
    words come again and again).
    """
    new = [word for word in dict.fromkeys(words) if word not in _SOURCES]
    if new:
        taiwan = _simplified().convert(_to_taiwan().convert("\n".join(new))).split("\n")
        _SOURCES.update(dict.fromkeys(new, ""))
        differs = [
            (word, source) for word, source in zip(new, taiwan, strict=True) if source != word
        ]
        if differs:
            # OpenCC's own tables only (the Taiwan-phrase table would load the segmenter into
            # processes that never segment, such as a re-match); one pass, a line each.
            joined = "\n".join(source for _, source in differs)
            back = normalize(joined, taiwan_phrases=False).split("\n")
            for (word, source), normalised in zip(differs, back, strict=True):
                if normalised == word:
                    _SOURCES[word] = source
    return {word: _SOURCES[word] for word in words if _SOURCES[word]}


@cache
def _to_taiwan() -> opencc.OpenCC:
    return opencc.OpenCC("s2twp")


@cache
def _simplified() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def _taiwan_phrases_replaced(text: str) -> str:
    """``text`` with the Taiwan phrases (``data/tw_phrases.txt``) in mainland words where they
    are words, not where one straddles two mainland words: 品质 in 产品|质量, 个资 in 一个|资产
    and 营运 in 经营|运输 are left alone (a plain replace tore 产品质量 into 产质量量).

    A phrase is a word where the segmenter puts a boundary at both its ends (个资 in
    個資外洩: 个|资|外泄), or where it begins or ends a dictionary word that holds it (感测 in
    感测器, 品质 in 高品质), but not in the middle of one (产品质量 is one word of the
    dictionary). At each place the longest phrase that is a word wins: 身分 in 身分|证明 where
    身分证 is not. The segmenter runs only on a text that holds a phrase.
    """
    phrases, pairs = _phrase_map()
    if not phrases.search(text):
        return text
    # The dictionary alone: its guesses at unknown words would move boundaries at random.
    word_of = []  # (first, end) of the word each character is in
    at = 0
    for word in _tokenizer().cut(text, HMM=False):
        word_of += [(at, at + len(word))] * len(word)
        at += len(word)
    starts = {first for first, _ in word_of} | {len(text)}
    lengths = sorted({len(key) for key in pairs}, reverse=True)

    def is_word(start: int, end: int) -> bool:
        if start in starts and end in starts:
            return True
        first, last = word_of[start]
        return end <= last and (start == first or end == last)

    pieces, done, at = [], 0, 0
    while at < len(text):
        end = next(
            (at + n for n in lengths if text[at : at + n] in pairs and is_word(at, at + n)), None
        )
        if end is None:
            at += 1
            continue
        pieces += [text[done:at], pairs[text[at:end]]]
        done = at = end
    return "".join([*pieces, text[done:]])


@cache
def stopwords() -> frozenset[str]:
    """The shipped stop-word list, normalised."""
    return frozenset(normalize(w) for w in data_lines("stopwords.txt"))


@cache
def concept_groups() -> tuple[tuple[tuple[str, ...], ...], ...]:
    """The shipped concept groups: each a tuple of sets of equivalent forms (as written);
    forms in different sets of one group are related topics (``data/concepts.txt``)."""
    return tuple(
        tuple(tuple(form.strip() for form in part.split(" = ")) for part in line.split(" ~ "))
        for line in data_lines("concepts.txt")
    )


def group_id(group: tuple[tuple[str, ...], ...]) -> str:
    """A concept group's id: its first form, normalised (as ``concept_forms`` does)."""
    return normalize(group[0][0], taiwan_phrases=False)


@cache
def concept_forms() -> dict[str, tuple[str, tuple[str, ...]]]:
    """Map each normalised surface form to (display form, ids of the groups it belongs to)."""
    forms: dict[str, tuple[str, tuple[str, ...]]] = {}
    for line in concept_groups():
        group = group_id(line)
        for term in (term for equivalents in line for term in equivalents):
            # Written in mainland words already; the Taiwan table needs the segmenter, which is
            # built from these forms.
            key = normalize(term, taiwan_phrases=False)
            display, groups = forms.get(key, (term, ()))
            forms[key] = (display, (*groups, group))
    return forms


@cache
def _tokenizer() -> jieba.Tokenizer:
    # A private instance: the global jieba dictionary belongs to whoever else imports jieba.
    # Built on first use (loading the dictionary takes about a second), never at import;
    # jieba itself is imported here too, so that search and start-up do without it.
    import jieba

    tokenizer = jieba.Tokenizer()
    with resources.files("matchmaker.matching").joinpath("data", "userdict.txt").open("rb") as f:
        tokenizer.load_userdict(f)
    # Concept forms must come out of segmentation whole, or 光学字符识别 would be split
    # into pieces that no concept group names.
    for form in concept_forms():
        if " " not in form:
            tokenizer.add_word(form)
    return tokenizer


@cache
def _multiword() -> dict[str, list[tuple[str, ...]]]:
    # Concept forms with a space ("opc ua", "hd map"): the segmenter cannot keep them whole,
    # so they are joined back after it, keyed by their first word, longest first.
    forms: dict[str, list[tuple[str, ...]]] = {}
    for form in sorted(concept_forms(), key=len, reverse=True):
        words = tuple(form.split())
        if len(words) > 1:
            forms.setdefault(words[0], []).append(words)
    return forms


def segment(text: str) -> list[str]:
    """Normalise ``text`` and cut it into content words (stop words and punctuation dropped)."""
    stop, multiword = stopwords(), _multiword()
    words = [
        tok
        for tok in _tokenizer().lcut(normalize(text))
        if tok not in stop and _MEANINGFUL.search(tok) and not (len(tok) == 1 and tok.isascii())
    ]
    joined, at = [], 0
    while at < len(words):
        span = next(
            (len(w) for w in multiword.get(words[at], ()) if tuple(words[at : at + len(w)]) == w),
            1,
        )
        joined.append(" ".join(words[at : at + span]))
        at += span
    return joined


def analyze(title: str, description: str, tags: list[str]) -> dict[str, list[str]]:
    """Tokens of an entry by field; the app stores this JSON when the entry is saved.

    ``phrases`` holds each tag whole (normalised) for tag-level fuzzy matching and
    explanations; it is aligned with ``tags`` as given.
    """
    return {
        "title": segment(title),
        "body": segment(description),
        "tags": [tok for tag in tags for tok in segment(tag)],
        "phrases": [normalize(tag).strip() for tag in tags],
    }
