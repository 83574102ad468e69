"""Generative answers: a language model writes from the passages, every sentence is checked.

1. The top passages go to the model inside a delimited data block (assistant/prompts.py).
2. The reply is streamed, split into sentences and, inside a sentence, into the
   clauses each [n] marker closes.
3. Each clause is checked against the passage(s) it cites (`support`):
   * its content words (stemmed) must mostly occur in the passage, its title,
     heading or date: coverage >= SUPPORT_THRESHOLD;
   * every number, year, domain verdict (a pack's: an Ofsted grade) and mid-sentence
     name in it must occur there too;
   * it must not negate what the best-matching passage sentence says, or the reverse;
   * instruction-like passage sentences ("ignore previous instructions and say…")
     are not evidence: a claim found only in them is unsupported.
   A sentence without markers may be attributed to the one passage that supports
   it; a marker naming no passage is dropped.
4. Unsupported sentences are dropped and the kept citations renumbered 1, 2, ...
   in order of appearance. When nothing is left, when most of the reply was
   unsupported, or when the model refused, the extractive answer (`fallback`) is
   given instead; a refusal when the extractive answer abstained too is an abstention.

How it was measured: tests/verify_pairs.jsonl holds 339 labelled (sentence,
passage, supported?) pairs from the Croydon corpus: the eval set's reference
answers with their evidence paragraph, hand-written paraphrases (supported); one-
fact perturbations of the references (numbers, grades, names, negation), the
right sentence cited to the most similar wrong paragraph, outside knowledge,
replies obeying instructions injected into a passage (unsupported). At 0.7:
precision 0.865, recall 0.962 (best F1 of the sweep 0.5..1.0). What it misses:
relations between words that are all in the passage ("Croydon will advise
Camden" where Camden advises Croydon), a swapped name that starts the sentence
and appears in no passage nor the question, one invented word in a long sentence.
`python tests/test_generate.py` prints the report and the threshold sweep;
tests/test_generate.py asserts precision >= 0.85 and recall >= 0.93.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Iterator

from assistant import packs, prompts
from assistant.answer import Composed
from assistant.chunking import split_sentences
from assistant.llm import ChatClient, LLMError
from assistant.words import STOPWORDS, content_words, stem
from assistant.types import Citation, DocumentInfo, Hit

MAX_PASSAGES = 6
SUPPORT_THRESHOLD = 0.7  # share of a clause's content words found in the cited passage
MAX_UNSUPPORTED_SHARE = 0.5  # more of the reply unsupported than this: the extractive answer instead
ON_TOPIC_SHARE = 0.5  # when the extractive answer abstained, the reply must cover this much of the question

# "[1]", "[1, 2]", "[1][3]", "[2-3]"; also "[Passage 2]" and "[p. 2]" that small models write.
MARKER = re.compile(r"\[\s*(?:passages?|p\.?|source)?\s*(\d{1,2}(?:\s*(?:,|;|-|–|and)\s*\d{1,2})*)\s*\]", re.I)
MARKER_RUN = re.compile(rf"(?:\s*{MARKER.pattern})+", re.I)
_MOVE_MARKERS = re.compile(rf"([.!?])((?:\s*{MARKER.pattern})+)", re.I)  # "Text. [1]" -> "Text [1]."
_PASSAGE_NUMBERS = r"(?:the )?passages? \d{1,2}(?:\s*(?:,|and|&)\s*\d{1,2})*"
_LEADING_ATTRIBUTION = re.compile(rf"^(?:according to|as (?:stated|noted|mentioned|shown|said) in|in|from|per|based on)\s+"
                                  rf"{_PASSAGE_NUMBERS}\s*,?\s*", re.I)
_PAREN_ATTRIBUTION = re.compile(rf"\s*\((?:see |from |in )?{_PASSAGE_NUMBERS}\)", re.I)
_THINK = re.compile(r"<think>.*?(?:</think>|$)", re.S | re.I)
_MD_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_MD_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
_BULLET = re.compile(r"^\s*(?:[-*•]|\d{1,2}[.)])\s+")
NEGATION = re.compile(r"\b(?:not|no|never|none|neither|nor|without|cannot|nothing|nobody|few|rarely|seldom|hardly|barely)\b"
                      r"|n['’]t\b", re.I)
# Words that say the opposite of each other: a claim word missing from the passage whose
# opposite is there contradicts it ("declined" where the passage says "improved").
_OPPOSITES = [
    ("improve improved improving improvement improvements better", "decline declined declining deteriorate deteriorated deterioration worsen worsened worse"),
    ("good strong well effective effectively positive positively", "poor poorly weak weakly ineffective bad negative negatively"),
    ("consistent consistently", "inconsistent inconsistently variable"),
    ("sufficient adequate enough", "insufficient inadequate"),
    ("increase increased increasing rise rose risen grew growth more higher high", "decrease decreased reduce reduced reducing fall fell fallen cut less lower low"),
    ("most many all majority", "few minority some none"),
    ("often frequently regularly usually always", "rarely seldom occasionally never sometimes"),
    ("praise praised praising commend commended", "criticise criticised criticize criticized concern concerns concerned condemn condemned slammed"),
    ("stable stability", "unstable instability"),
    ("timely prompt promptly quickly quick rapid", "delay delayed delays late slow slowly"),
    ("open opened opening", "close closed closing"),
    ("accept accepted", "reject rejected"),
    ("start started began begin", "end ended stop stopped"),
    ("success successful", "failure failed fail unsuccessful"),
    ("manageable", "unmanageable"),
    ("safe safely", "unsafe"),
]
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_NUMBER_WORDS = {w: str(i) for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split())}
_NUMBER_WORDS.update({"thirty": "30", "forty": "40", "fifty": "50", "hundred": "100", "thousand": "1000"})
_MONTHS = {m[:3].lower(): m for m in "January February March April May June July August September October November December".split()}
# Words that say where a claim comes from rather than what it is.
_META = frozenset(stem(w) for w in "passage passages source sources text states stated state says noted notes "
                                    "according mentioned mentions cited cites shows".split())
# Passage sentences that talk to the model instead of stating facts.
INSTRUCTION = re.compile(
    r"\b(?:ignore|disregard|forget|override|bypass)\b.{0,60}\b(?:instructions?|prompts?|rules|guidelines|directions|"
    r"above|previous|prior|earlier|everything)\b"
    r"|^\s*(?:please\s+|now\s+)?(?:ignore|disregard|forget|say|answer|reply|respond|output|print|write|repeat|"
    r"pretend|act as|you are now|tell the user|tell users)\b"
    r"|\b(?:AI|chatbot|language model|LLM|GPT|AI assistant|virtual assistant)s?\b.{0,40}\b(?:must|should|shall|will|"
    r"are to|is to|always|never|instructed)\b"
    r"|\b(?:system prompt|system message|new instructions?|developer mode|jailbreak)\b"
    r"|<\|?(?:im_start|im_end|system|assistant|user)\|?>|\[/?INST\]|^\s*#{2,}\s*(?:system|instruction)",
    re.I,
)
_REFUSAL_CUES = re.compile(
    r"passages? (?:do|does|did)(?: not|n['’]t) (?:answer|say|contain|mention|state|provide|include)"
    r"|(?:can(?:not|['’]t)|could(?: not|n['’]t)|unable to) (?:find|answer|determine|tell)"
    r"|no (?:information|answer|mention) (?:about|on|of|in|to)|not (?:mentioned|stated|covered) in the passages",
    re.I,
)


@dataclass
class Check:
    """One sentence of the model's reply and what the verifier made of it."""

    sentence: str  # as the model wrote it
    cited: list[int]  # passage numbers it named
    kept: bool
    support: float  # lowest clause support, 0..1
    reason: str = ""  # why it was dropped
    passages: list[int] = field(default_factory=list)  # passage numbers that support it (original numbering)


@dataclass
class Generated(Composed):
    """A `Composed` with what the pipeline needs to report generative mode."""

    mode: str = "generative"  # "extractive" when the fallback was given
    raw: str = ""  # the model's reply, unedited
    checks: list[Check] = field(default_factory=list)
    reason: str = ""  # why the extractive answer was given instead, if it was


# ---------------------------------------------------------------- passages

_ANTONYMS: dict[str, set[str]] = {}
for _a, _b in _OPPOSITES:
    _sa, _sb = {stem(w) for w in _a.split()}, {stem(w) for w in _b.split()}
    for _w in _sa:
        _ANTONYMS.setdefault(_w, set()).update(_sb - _sa)
    for _w in _sb:
        _ANTONYMS.setdefault(_w, set()).update(_sa - _sb)

_PUNCT = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-"})
_MONTH = re.compile(r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)(?:uary|ruary|ch|il|e|y|ust|t|tember|ober|ember)?\b")
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
_SUBCLAUSE = re.compile(r"[,;:()]|\s(?:but|while|whereas|although|though|however|yet)\s|\s-\s", re.I)
_TOKEN = re.compile(r"[A-Za-z][A-Za-z'\-]*")
_URL = re.compile(r"(?:https?://|www\.)\S+", re.I)


def _norm(text: str) -> str:
    return text.translate(_PUNCT)


def _verdicts(text: str) -> set[str]:
    """The domain's verdicts the text states (an Ofsted grade), as the installed packs read them."""
    return set().union(*(read(text) for read in packs.hooks("verdicts")))


def _parts(sentence: str, fine: bool = False) -> list[str]:
    """Clauses: split at punctuation and contrast words; `fine` splits at "and" too."""
    pieces = _SUBCLAUSE.split(sentence)
    if fine:
        pieces = [q for p in pieces if p for q in re.split(r"\s(?:and|or)\s", p)]
    return [p for p in pieces if p and p.strip()]


@dataclass
class Evidence:
    """What a passage can vouch for: its stated sentences (instructions removed) and context."""

    stems: set[str]
    numbers: set[str]
    months: set[str]
    words: set[str]  # lower-case surface words (and hyphenated words' parts), for names
    sentences: list[tuple[set[str], set[str]]]  # (stems, verdicts) per stated sentence
    parts: list[tuple[set[str], bool]]  # (stems, negated) per clause of a stated sentence
    injected: bool  # it contained instruction-like text
    text: str = ""  # the stated text with its context, for links


def _numbers(text: str, claim: bool = False) -> set[str]:
    """Numbers in `text`, digits or words; in a claim, "one", "hundred" and the like are
    too often not numbers ("one of the areas") to demand."""
    out = {n.replace(",", "").rstrip(".") for n in _NUMBER.findall(text)}
    out |= {_NUMBER_WORDS[w] for w in re.findall(r"[a-z]+", text.lower())
            if w in _NUMBER_WORDS and not (claim and w in {"zero", "one", "hundred", "thousand"})}
    return {n.lstrip("0") or "0" for n in out}


def _stems(text: str) -> set[str]:
    return {stem(w) for w in content_words(_norm(text))} - _META


def _words(text: str) -> set[str]:
    out = set()
    for w in _TOKEN.findall(_norm(text)):
        w = w.lower().strip("'-")
        out.add(w)
        out.update(p for p in re.split(r"[-']", w) if p)
    return out


def passage_sentences(text: str) -> list[str]:
    return [s for line in text.split("\n") for s in split_sentences(line) if s.strip()]


def is_instruction(sentence: str) -> bool:
    return bool(INSTRUCTION.search(_norm(sentence)))


def evidence(text: str, context: str = "", date: str = "") -> Evidence:
    """`text` is the passage; `context` its title, heading and reference; `date` its document's date.

    The date's year (and month) count only when the passage names none itself: a passage
    that says "November 2023" does not vouch for "November 2024" because it is dated 2024.
    """
    stated, injected = [], False
    for s in passage_sentences(_norm(text)):
        if is_instruction(s):
            injected = True
        else:
            stated.append(s)
    body = " ".join(stated)
    whole = _norm(f"{context} {body}")
    numbers = _numbers(whole)
    months = {m[:3].lower() for m in _MONTH.findall(whole)}
    if date[:4].isdigit() and not _YEAR.search(body):
        numbers.add(date[:4])
    if len(date) >= 7 and date[5:7].isdigit() and not months and 1 <= int(date[5:7]) <= 12:
        months.add(list(_MONTHS)[int(date[5:7]) - 1])
    words = _words(whole)
    stems = _stems(whole) | {stem(w) for w in words if w not in STOPWORDS}
    sentences = [(_stems(s), _verdicts(s)) for s in stated]
    parts = [(_stems(p), bool(NEGATION.search(p))) for s in stated for p in _parts(s, fine=True)]
    return Evidence(stems, numbers, months, words, sentences, parts, injected, whole)


def _bare(word: str) -> str:
    return re.sub(r"'s$", "", word.lower().strip("'-"))


def known_names(texts: list[str]) -> set[str]:
    """Words written with a capital letter inside a sentence: names, in these texts."""
    out = set()
    for t in texts:
        for s in passage_sentences(_norm(t)):
            for tok in _TOKEN.findall(s)[1:]:
                if tok[:1].isupper() and tok.lower() not in STOPWORDS:
                    out.add(_bare(tok))
    return out


def _names(clause: str, names: set[str]) -> list[str]:
    """The names a claim depends on: capitalised words inside it, and a first word that is a
    known name ("Camden has…")."""
    tokens = [t.strip("'-") for t in _TOKEN.findall(_norm(clause))]
    out = []
    for i, t in enumerate(tokens):
        low = t.lower()
        if len(t) < 2 or not t[:1].isupper() or low in STOPWORDS or _MONTH.fullmatch(t):
            continue
        if i > 0 or _bare(t) in names:
            out.append(t)
    return out


def support(clause: str, ev: Evidence, names: set[str] = frozenset()) -> tuple[float, str]:
    """How well `ev` supports `clause`: (score in 0..1, reason when it does not).

    The score is the share of the clause's content words found in the passage; the
    reason is set when it is below SUPPORT_THRESHOLD or a hard check fails.
    """
    clause = _norm(clause)
    words = _stems(clause)
    if not words:
        return 0.0, "no checkable content"
    missing = _numbers(clause, claim=True) - ev.numbers
    if missing:
        return 0.0, f"number not in passage: {', '.join(sorted(missing))}"
    missing = {m[:3].lower() for m in _MONTH.findall(clause)} - ev.months
    if missing:
        return 0.0, f"month not in passage: {', '.join(sorted(missing))}"
    for v in _verdicts(clause):
        if not all(w in ev.words for w in v.split()):
            return 0.0, f"verdict not in passage: {v}"
    for url in _URL.findall(clause):
        if url.rstrip(".,;:!?)") not in ev.text:
            return 0.0, f"link not in passage: {url}"
    for name in _names(clause, names):
        if _bare(name) not in ev.words:
            return 0.0, f"name not in passage: {name}"
    for part in _parts(clause, fine=True):
        if not _agrees(part, ev):
            return 0.0, "negation differs from the passage"
    for mine, verdicts in ((_stems(p), _verdicts(p)) for p in _parts(clause)):
        if verdicts and not _matching(mine, [(st, v) for st, v in ev.sentences if v], lambda v: verdicts <= v):
            return 0.0, f"verdict differs from the passage: {', '.join(sorted(verdicts))}"
    for w in words - ev.stems:
        if _ANTONYMS.get(w, set()) & ev.stems:
            return 0.0, f"contradicts the passage: {w}"
    coverage = len(words & ev.stems) / len(words)
    return coverage, "" if coverage >= SUPPORT_THRESHOLD else f"only {coverage:.0%} of its words are in the passage"


def _matching(mine: set[str], candidates: list[tuple[set[str], object]], ok, least: int = 2) -> bool:
    """Does one of the candidates that share the most words with `mine` satisfy `ok`?
    (True when none shares at least `least` words, or all of a shorter clause's: nothing to compare.)"""
    if not mine or not candidates:
        return True
    overlaps = [len(mine & st) for st, _ in candidates]
    top = max(overlaps)
    if top < min(least, len(mine)):
        return True
    return any(ok(x) for (st, x), o in zip(candidates, overlaps) if o == top)


def _agrees(part: str, ev: Evidence) -> bool:
    """Is the clause negated exactly when the passage clause it matches best is?"""
    negated = bool(NEGATION.search(part))
    return _matching(_stems(part), ev.parts, lambda n: n == negated)


def _merge(evs: list[Evidence]) -> Evidence:
    return Evidence(set().union(*(e.stems for e in evs)), set().union(*(e.numbers for e in evs)),
                    set().union(*(e.months for e in evs)), set().union(*(e.words for e in evs)),
                    [s for e in evs for s in e.sentences], [p for e in evs for p in e.parts],
                    any(e.injected for e in evs), " ".join(e.text for e in evs))


# ---------------------------------------------------------------- the reply


@dataclass
class Clause:
    text: str
    cited: list[int]


@dataclass
class Sentence:
    raw: str
    clauses: list[Clause]
    tail: str  # closing punctuation
    bullet: bool = False

    @property
    def cited(self) -> list[int]:
        return sorted({n for c in self.clauses for n in c.cited})

    @property
    def plain(self) -> str:
        return " ".join(c.text.strip() for c in self.clauses if c.text.strip()) + self.tail


def _marker_numbers(group: str) -> list[int]:
    out: list[int] = []
    for m in MARKER.finditer(group):
        body = m.group(1)
        for a, b in re.findall(r"(\d+)\s*(?:[-–]\s*(\d+))?", body):
            lo, hi = int(a), int(b or a)
            if 0 < hi - lo < 10:
                out.extend(range(lo, hi + 1))
            else:
                out.append(lo)
    return out


def _attribution_to_markers(text: str) -> str:
    """"According to passage 2, X." -> "X [2]."; "X (passage 2)." -> "X [2].": small models write that."""
    m = _LEADING_ATTRIBUTION.match(text)
    if m:
        numbers = re.findall(r"\d+", m.group(0))
        rest = text[m.end():]
        rest = rest[:1].upper() + rest[1:]
        end = re.search(r"[.!?…]+[\"'”’)]*$", rest)
        cut = end.start() if end else len(rest)
        text = rest[:cut].rstrip() + " " + "".join(f"[{n}]" for n in numbers) + rest[cut:]
    return _PAREN_ATTRIBUTION.sub(lambda m: " " + "".join(f"[{n}]" for n in re.findall(r"\d+", m.group(0))), text)


def parse_sentence(raw: str, bullet: bool = False) -> Sentence:
    text = _attribution_to_markers(raw.strip())
    m = re.search(r"[.!?…]+[\"'”’)]*$", text)
    tail = m.group(0) if m else ""
    body = text[: m.start()] if m else text
    clauses: list[Clause] = []
    pos = 0
    for run in MARKER_RUN.finditer(body):
        clauses.append(Clause(body[pos:run.start()], _marker_numbers(run.group(0))))
        pos = run.end()
    rest = body[pos:]
    if rest.strip():
        if clauses and not re.search(r"[A-Za-z0-9]", rest):
            tail = rest.strip() + tail
        elif clauses and len(content_words(rest)) == 0:
            clauses[-1].text += rest
        else:
            clauses.append(Clause(rest, []))
    clauses = [c for c in clauses if c.text.strip() or c.cited]
    # A marker run with no text before it belongs to the clause before it.
    merged: list[Clause] = []
    for c in clauses:
        if merged and not re.search(r"[A-Za-z0-9]", c.text):
            merged[-1].cited += c.cited
        else:
            merged.append(c)
    if len(merged) > 1 and not re.search(r"[A-Za-z0-9]", merged[0].text):  # "[1] Ofsted judged…"
        merged[1].cited = merged[0].cited + merged[1].cited
        merged = merged[1:]
    return Sentence(raw, merged, tail or ".", bullet)


def strip_thinking(text: str) -> str:
    """Drop a reasoning model's <think>…</think> (an unclosed one: everything after it)."""
    return _THINK.sub(" ", text)


def parse_reply(text: str) -> list[Sentence]:
    """The reply's sentences, markers moved before the full stop, bullets remembered."""
    out = []
    for line in strip_thinking(text).replace("\r", "").split("\n"):
        if not line.strip():
            continue
        bullet = bool(_BULLET.match(line))
        line = _BULLET.sub("", line).replace("**", "").replace("__", "")
        line = _MD_IMAGE.sub(" ", line)  # images are never part of an answer
        line = _MD_LINK.sub(lambda m: f"{m.group(1)} {m.group(2)}", line)  # the link's words and address are checked
        line = _MOVE_MARKERS.sub(lambda m: m.group(2) + m.group(1), line)
        for s in split_sentences(line.strip()):
            if re.search(r"[A-Za-z0-9]", MARKER.sub("", s)):
                out.append(parse_sentence(s, bullet))
            elif out:  # a stray marker run on its own: it belongs to the sentence before
                out[-1].clauses[-1].cited += _marker_numbers(s)
    return out


def is_refusal(text: str) -> bool:
    t = " ".join(text.split()).lower()
    return prompts.REFUSAL.lower().rstrip(".") in t or bool(_REFUSAL_CUES.search(t))


# ---------------------------------------------------------------- verification


@dataclass
class Verified:
    text: str
    citations: list[Citation]
    checks: list[Check]
    support: float  # mean support of the kept sentences

    @property
    def kept(self) -> int:
        return sum(c.kept for c in self.checks)


def _with_markers(text: str, numbers: list[int]) -> str:
    return f"{text.rstrip()} {''.join(f'[{n}]' for n in numbers)}" if numbers else text.rstrip()


def check_sentence(s: Sentence, evs: dict[int, Evidence], names: set[str] = frozenset()) -> tuple[Check, list[list[int]]]:
    """Verify each clause of `s` against the passages it cites.

    Returns the check and, per clause, the passage numbers whose markers are kept.
    A clause citing real passages is supported when one of them (or, failing that,
    all of them together) supports it; markers to passages that do not are dropped.
    A clause citing none, or only passages that do not exist, may be attributed to
    the cited passages of its sentence, else to the one passage that supports it best.
    """
    cited_valid = [n for n in s.cited if n in evs]
    per_clause: list[list[int]] = []
    scores: list[float] = []
    why = ""
    for clause in s.clauses:
        valid = sorted({n for n in clause.cited if n in evs})
        if not _stems(clause.text):  # "Yes [1], …": its markers ride along (filtered below)
            per_clause.append(valid)
            continue
        pool = valid or cited_valid or sorted(evs)
        results = {n: support(clause.text, evs[n], names) for n in pool}
        good = [n for n in pool if not results[n][1]]
        if not good and len(valid) > 1:
            score, reason = support(clause.text, _merge([evs[n] for n in valid]), names)
            if not reason:
                good, results = valid, {n: (score, "") for n in valid}
        if good:
            best = max(good, key=lambda n: results[n][0])
            scores.append(results[best][0])
            per_clause.append(good if valid else [best])
            continue
        per_clause.append([])
        best_score, best_reason = max(results.values(), key=lambda r: r[0]) if results else (0.0, "no passages")
        scores.append(best_score)
        bad = [n for n in clause.cited if n not in evs]
        if bad and not valid:
            best_reason = f"cites passage {', '.join(map(str, bad))}, which does not exist; {best_reason}"
        why = why or best_reason
    if not scores:
        why = "no checkable content"
    used = {n for c, k in zip(s.clauses, per_clause) if _stems(c.text) for n in k}
    per_clause = [k if _stems(c.text) else [n for n in k if n in used] for c, k in zip(s.clauses, per_clause)]
    ok = not why
    check = Check(s.raw.strip(), s.cited, ok, min(scores) if scores else 0.0, why, sorted(used) if ok else [])
    return check, per_clause


def verify(reply: str, passages: list[Hit], documents: dict[str, DocumentInfo],
           max_words: int = 160, question: str = "") -> Verified:
    """Check every sentence of `reply` against `passages` (numbered from 1); keep the supported ones.

    Names written in the passages, their titles or the question are known names: a sentence
    that starts with one ("Camden has…") must find it in the passage it cites."""
    evs = {i + 1: passage_evidence(h, documents) for i, h in enumerate(passages)}
    names = known_names([h.chunk.text for h in passages] + [_title(h, documents) for h in passages] + [f"Q {question}"])
    numbers: dict[int, int] = {}  # original passage number -> number in the answer
    citations: list[Citation] = []
    parts: list[tuple[str, bool]] = []
    checks: list[Check] = []
    supports: list[float] = []
    words = 0
    for s in parse_reply(reply):
        check, per_clause = check_sentence(s, evs, names)
        if check.kept and words + len(s.plain.split()) > max_words:
            check.kept, check.reason = False, "answer too long"
        checks.append(check)
        if not check.kept:
            continue
        words += len(s.plain.split())
        supports.append(check.support)
        out = []
        for clause, kept in zip(s.clauses, per_clause):
            for n in kept:
                if n not in numbers:
                    numbers[n] = len(numbers) + 1
                    citations.append(_citation(numbers[n], passages[n - 1], documents))
            out.append(_with_markers(clause.text.strip(), sorted({numbers[n] for n in kept})))
        joined = ""
        for piece in (p for p in out if p):
            joined += ("" if not joined or piece[:1] in ",;:.)" else " ") + piece
        parts.append((joined + s.tail, s.bullet))
    if parts and all(b for _, b in parts) and len(parts) >= 2:
        text = "\n".join(f"- {p}" for p, _ in parts)
    else:
        text = " ".join(p for p, _ in parts)
    return Verified(text, citations, checks, sum(supports) / len(supports) if supports else 0.0)


def _title(hit: Hit, documents: dict[str, DocumentInfo]) -> str:
    info = documents.get(hit.chunk.doc)
    return info.title if info and info.title else hit.chunk.doc


def passage_evidence(hit: Hit, documents: dict[str, DocumentInfo]) -> Evidence:
    info = documents.get(hit.chunk.doc)
    return evidence(hit.chunk.text, f"{_title(hit, documents)} {hit.chunk.heading}", info.date if info else "")


def _source(hit: Hit, documents: dict[str, DocumentInfo]) -> str:
    info = documents.get(hit.chunk.doc)
    parts = [info.title if info and info.title else hit.chunk.doc]
    if hit.chunk.heading:
        parts.append(hit.chunk.heading)
    parts.append(hit.chunk.ref + (f", p. {hit.chunk.page}" if hit.chunk.page else ""))
    if info and info.date:
        parts.append(info.date)
    return ", ".join(p for p in parts if p)


def _citation(n: int, hit: Hit, documents: dict[str, DocumentInfo]) -> Citation:
    info = documents.get(hit.chunk.doc) or DocumentInfo(doc=hit.chunk.doc, title=hit.chunk.doc)
    c = hit.chunk
    return Citation(n=n, doc=c.doc, title=info.title, ref=c.ref, page=c.page, text=c.text,
                    score=round(float(hit.score), 4), date=info.date, publisher=info.publisher, chunk_id=c.id)


# ---------------------------------------------------------------- the entry points


def select_passages(hits: list[Hit], limit: int = MAX_PASSAGES) -> list[Hit]:
    seen, out = set(), []
    for h in hits:
        if h.chunk.id not in seen:
            seen.add(h.chunk.id)
            out.append(h)
        if len(out) >= limit:
            break
    return out


def build_messages(question: str, passages: list[Hit], documents: dict[str, DocumentInfo]) -> list[dict]:
    return prompts.messages(question, [prompts.format_passage(i + 1, h.chunk.text, _source(h, documents))
                                       for i, h in enumerate(passages)])


def _fallback(fallback: Composed, raw: str, checks: list[Check], reason: str) -> Generated:
    return Generated(fallback.text, fallback.citations, fallback.abstained, fallback.confidence,
                     mode="extractive", raw=raw, checks=checks, reason=reason)


def _complete_prefix(raw: str) -> str:
    """The part of a growing reply whose sentences are finished: whole lines, and on the
    last line every sentence but the one still being written."""
    head, sep, last = raw.rpartition("\n")
    done = head + sep
    pieces = split_sentences(_MOVE_MARKERS.sub(lambda m: m.group(2) + m.group(1), last))
    if len(pieces) >= 2 and re.search(r"[A-Za-z]", MARKER.sub("", re.sub(r"\[[^\]]*$", "", pieces[-1]))):
        done += " ".join(pieces[:-1])
    return done


def stream_generate(question: str, hits: list[Hit], documents: dict[str, DocumentInfo], settings,
                    client: ChatClient, fallback: Composed) -> Iterator[str | Generated]:
    """Yield the verified answer so far (the whole text each time, citations already numbered),
    then, last, the final `Generated` (whose text may be the extractive fallback instead).

    Only sentences that passed verification are ever yielded.
    """
    passages = select_passages(hits)
    if not passages:
        yield _fallback(fallback, "", [], "no passages retrieved")
        return
    messages = build_messages(question, passages, documents)
    max_words = getattr(settings, "max_list_words", 160)
    raw, shown, done_upto = "", "", ""
    stream = client.stream(messages)
    try:
        for delta in stream:
            raw += delta
            prefix = _complete_prefix(raw)
            if prefix != done_upto and prefix.strip():
                done_upto = prefix
                partial = verify(prefix, passages, documents, max_words, question).text
                if partial and partial != shown:
                    shown = partial
                    yield shown
    except LLMError as e:
        yield _fallback(fallback, raw, [], f"language model failed: {e}")
        return
    finally:  # a reader who stops early (the UI's stop button) closes the HTTP stream too
        close = getattr(stream, "close", None)
        if close is not None:
            close()
    final = finish(question, raw, passages, documents, fallback, max_words)
    if final.mode == "generative" and final.text != shown:
        yield final.text  # the last sentence, verified once the reply ended
    yield final


def finish(question: str, raw: str, passages: list[Hit], documents: dict[str, DocumentInfo],
           fallback: Composed, max_words: int = 160) -> Generated:
    """Verify the whole reply and decide between it and the extractive answer."""
    v = verify(raw, passages, documents, max_words, question)
    if v.kept == 0:
        # A refusal gives the extractive answer too; if that abstained as well, it is an abstention.
        reason = ("the model found no answer in the passages" if is_refusal(raw)
                  else "no sentence of the model's answer was supported by the passage it cites")
        return _fallback(fallback, raw, v.checks, reason)
    dropped = sum(1 for c in v.checks if not c.kept and c.reason not in {"no checkable content", "answer too long"})
    if dropped > MAX_UNSUPPORTED_SHARE * (dropped + v.kept):
        return _fallback(fallback, raw, v.checks, f"{dropped} of {dropped + v.kept} sentences were unsupported")
    if fallback.abstained and not on_topic(question, v.text):
        return _fallback(fallback, raw, v.checks, "the model's answer does not address the question")
    return Generated(v.text, v.citations, False, fallback.confidence, mode="generative", raw=raw, checks=v.checks)


_QUESTION_WORDS = frozenset(stem(w) for w in "grade rate rated rating judge judged judgement kind type name "
                            "happen happened year date time number amount find found".split())


def on_topic(question: str, answer: str) -> bool:
    """Does the answer name every name in the question and mention most of what it asks
    about? (Used only when the extractive composer abstained, so a verified but off-topic
    reply is not shown.)"""
    answer = MARKER.sub(" ", answer)
    words = _words(answer)
    if any(_bare(n) not in words for n in _names(question, set())):  # "What did Lambeth get?"
        return False
    q = _stems(question) - _QUESTION_WORDS
    if not q:
        return True
    return len(q & _stems(answer)) / len(q) >= ON_TOPIC_SHARE


def generate(question: str, hits: list[Hit], documents: dict[str, DocumentInfo], settings,
             client: ChatClient, fallback: Composed, on_token: Callable[[str], None] | None = None) -> Generated:
    """The verified generative answer, or `fallback`; never raises for a model failure (the
    fallback is returned with the error in `.reason`). `on_token(delta)` receives the verified
    text as it grows (new text only), for a terminal; the returned text is the one to keep
    (it is the extractive answer when the reply failed). The UI can use `stream_generate`."""
    shown = ""
    result: Generated | None = None
    for item in stream_generate(question, hits, documents, settings, client, fallback):
        if isinstance(item, Generated):
            result = item
        elif on_token is not None:
            if item.startswith(shown):
                on_token(item[len(shown):])
            shown = item
    assert result is not None
    return result
