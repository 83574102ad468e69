"""Resolve a follow-up question against the conversation before searching.

"What grade did Croydon get in 2024?" then "And for care leavers?" is searched as
"What grade did Croydon get in 2024, for care leavers?". Rules over words, no
language model: ellipsis ("and for…", "what about…", "the same for…"), pronouns
("who led it?"), and comparisons ("how does that compare with 2017?").
"""

from __future__ import annotations

import re

from assistant.answer import CANNOT_ANSWER
from assistant.chunking import split_sentences
from assistant.questions import (GRADED, LATEST_WORDS, NAME, YEAR, analyse, content_words, graded_subject, has_person_name,
                                 new_proper_nouns, stem)

ELLIPSIS = re.compile(
    r"^\s*(?:and|but|also|so|then|ok(?:ay)?|what about|how about|and what about|and how about|"
    r"(?:and )?(?:the )?same (?:for|in|about)|(?:and )?what of)\b[\s,]*",
    re.I,
)
PRONOUN = re.compile(r"\b(it|its|that|this|they|them|their|those|these|he|she|his|her|there|then|the same)\b", re.I)
WH_FRAME = re.compile(  # "for how long?", "since when?": a preposition may lead
    r"^\s*(?:(?:for|since|until|till|by|from|in|at|to|with|on|over|during|within|between)\s+(?=wh|how))?(?:who|whom|whose|what|which|when|where|why|how(?: many| much| long| often)?)\b"
    r"(?:\s+(?:is|are|was|were|did|do|does|has|have|had|will|would|can|could))?\s*",
    re.I,
)
AUXILIARY = re.compile(r"(?:is|are|was|were|did|does|do|has|have|had)\b", re.I)
ANAPHOR = re.compile(r"\b(one|ones|else|other|others|former|latter|above)\b", re.I)
COMPARE = re.compile(r"\b(compar(?:e[ds]?|ison)|differ|difference|change[ds]?|versus|vs)\b", re.I)
# "Compared with the year before?": the year before the one asked about
YEAR_BEFORE = re.compile(r"^(?:the\s+)?(?:year|one)\s+before(?:\s+(?:that|it))?$|^(?:the\s+)?previous\s+year$|^a\s+year\s+(?:earlier|before)$", re.I)
# "Is it better now?", "Has it improved since?": a change asked of what was just asked about a year
BETTER = re.compile(r"\b(?:better|worse|improved?|improving|deteriorated?)\b", re.I)
CHANGE_FILLER = frozenset({"since", "then", "gotten", "getting", "become", "became", "any"})  # "has it got any better since?"


# "Tell me more", "Anything else?", "Go on": the question before, answered with what was not said yet
MORE = re.compile(r"^\s*(?:and\s+|ok(?:ay)?,?\s+|so\s+)?(?:(?:please|can you|could you)\s+)?"
                  r"(?:tell me more|more(?:\s+details?)?|any(?:thing| more) else|what else|go on|carry on|continue|say more|"
                  r"elaborate|expand|anything more|is that all|what more)"
                  r"(?:\s+(?:about|on)\s+(?:that|this|it|them))?(?:\s+please)?\s*[?.!]*\s*$", re.I)


def asks_more(question: str) -> bool:
    return bool(MORE.match(question))


def said_before(history: list[dict] | None) -> list[str]:
    """What "tell me more" must not say again: the sentences of the answers to the question it asks
    again and to each "tell me more" since, without markers or labels."""
    said: list[str] = []
    for turn in reversed(history or []):
        if not isinstance(turn, dict) or not isinstance(turn.get("content"), str):
            continue
        if turn.get("role") == "assistant" and not turn["content"].startswith(CANNOT_ANSWER):
            for line in turn["content"].splitlines():
                clean = re.sub(r"\s+(?=[.,;:!?])", "", ANSWER_MARKS.sub(" ", line)).strip()  # "…offer [1]." -> "…offer."
                said += [s for s in split_sentences(clean) if s]
        elif turn.get("role") == "user" and not asks_more(turn["content"]):
            break  # the question asked again: what came before it was about something else
    return said


def last_user_question(history: list[dict] | None) -> str:
    for turn in reversed(history or []):
        if isinstance(turn, dict) and turn.get("role") == "user":
            content = turn.get("content")
            if isinstance(content, str) and content.strip():
                return content.strip()
    return ""


def before_last_question(history: list[dict] | None) -> list[dict]:
    """The conversation as it stood before its last question (the one `last_user_question` gives) was asked."""
    turns = [t for t in (history or []) if isinstance(t, dict)]
    asked = [i for i, t in enumerate(turns) if t.get("role") == "user" and isinstance(t.get("content"), str) and t["content"].strip()]
    return turns[: asked[-1]] if asked else []


def is_follow_up(question: str) -> bool:
    if ELLIPSIS.match(question) or (COMPARE.search(question) and re.search(r"\b(?:that|this|it|those|these|they)\b", question, re.I)):
        return True  # "how does that compare with what inspectors found in 2024?" however long
    words = content_words(question)
    if len(words) <= 2:
        return True
    return bool(PRONOUN.search(question) or ANAPHOR.search(question)) and len(words) <= 5


DEFINITE = re.compile(r"\b(?:the|that|this|those|these)\s+(?:[a-z-]+\s+)?([a-z-]+)\b", re.I)
MOST_WORDS_OF_A_REFERENCE = 4  # "What was the point of the additional team?"; longer questions say what they mean


def refers_back(question: str, answered: str) -> bool:
    """A short question naming, with "the", a thing the last answer spoke of: "What was the point of
    the additional team?" after "…an extra social work team has been created…"."""
    words = content_words(question)
    if not answered or len(words) > MOST_WORDS_OF_A_REFERENCE or YEAR.search(question) or NAME.search(question):
        return False
    said = {stem(w) for w in content_words(answered)}
    return any(stem(m.group(1)) in said for m in DEFINITE.finditer(question) if content_words(m.group(1)))


def topic(question: str) -> str:
    """The subject of a question without its wh-frame: "When was the 2024 inspection?" -> "the 2024 inspection"."""
    return WH_FRAME.sub("", question).rstrip(" ?.!")


def last_person(history: list[dict] | None) -> str:
    """For "he", "she", "her": the person named first in the latest turn that names anyone."""
    for turn in reversed(history or []):
        content = turn.get("content") if isinstance(turn, dict) else None
        if isinstance(content, str):
            # "…Croydon 8 Mint Walk": a house number opens an address, not a name
            names = [m.group(0) for m in NAME.finditer(content)
                     if has_person_name(m.group(0)) and not re.search(r"\d\s*$", content[:m.start()])]
            if names:
                return names[0]  # the sentence's subject comes first; addresses and sign-offs follow
    return ""


# citation markers, a list's bullet, year labels, and the "Yes:" or "No." opening a yes/no answer
ANSWER_MARKS = re.compile(r"\s*\[\d+\]|^\s*[-•]\s*|\(\d{4}\)\s*|^\s*(?:Yes|No)\s*[:,.;]\s+")


def last_answer(history: list[dict] | None) -> str:
    """The first sentence of the assistant's last answer, without citation markers or year labels
    ("" after a refusal: it answered nothing that a follow-up could mean)."""
    for turn in reversed(history or []):
        if isinstance(turn, dict) and turn.get("role") == "assistant" and isinstance(turn.get("content"), str):
            if turn["content"].startswith(CANNOT_ANSWER):
                return ""
            text = ANSWER_MARKS.sub(" ", turn["content"]).strip()
            first = (split_sentences(text.split("\n", 1)[0]) or [""])[0].split("; ", 1)[0]  # its main clause
            return " ".join(first.split()[:30]).rstrip(" .")
        if isinstance(turn, dict) and turn.get("role") == "user":
            return ""
    return ""


THING_PRONOUN = re.compile(r"\b(?:it|its|they|their|them)\b", re.I)
# "Did everyone who wanted one have one?": "one" stands for a thing the earlier question named with "a"
ONE = re.compile(r"\b((?:want|wanted|wants|have|has|had|get|gets|got|need|needs|needed|receive|received|given|offered|"
                 r"without|lack|lacked|lacks)\s+)one\b", re.I)
A_THING = re.compile(r"\b(?:an?)\s+((?:[a-z][a-z'’-]*\s+){0,2}[a-z][a-z'’-]*)")


def thing_named(question: str) -> str:
    """The thing the question named with "a"/"an": "…had an independent visitor when…" -> "an independent visitor"."""
    for m in A_THING.finditer(question):
        words = m.group(1).split()
        while words and not content_words(words[-1]):  # "a visitor when": stop at the noun
            words.pop()
        cut = next((i for i, w in enumerate(words) if not content_words(w)), len(words))
        if cut:
            return f"{m.group(0).split()[0]} {' '.join(words[:cut])}"
    return ""


def answered_entity(previous: str, history: list[dict] | None) -> str:
    """The organisation or place the last answer named, when the question before asked for one
    ("which borough…?"): the thing a following "it" most likely means."""
    q = analyse(previous)
    if q.kind != "entity":
        return ""
    found = new_proper_nouns(q.names, last_answer(history))
    return found[-1] if found else ""


def self_contained(rest: str) -> bool:
    """A whole question of its own after "and": "And are caseloads manageable now?" (but not
    "and who led the 2020 one?", "who else was there?", "why was that?")."""
    if not (WH_FRAME.match(rest) or AUXILIARY.match(rest)) or PRONOUN.search(rest) or ANAPHOR.search(rest):
        return False
    return len(_own_words(rest)) >= 2


def _own_words(text: str) -> list[str]:
    """What a question asks about in its own words: not "now", nor a year."""
    return [w for w in content_words(text) if not LATEST_WORDS.fullmatch(w) and not YEAR.fullmatch(w)]


def _year_asked_before(history: list[dict] | None, prev: str) -> str:
    """The latest year an earlier question of the conversation asked about, other than those of `prev`."""
    asked = set(YEAR.findall(prev))
    for turn in reversed(history or []):
        if isinstance(turn, dict) and turn.get("role") == "user" and isinstance(turn.get("content"), str):
            other = [y for y in YEAR.findall(turn["content"]) if y not in asked]
            if other:
                return other[-1]
    return ""


def _replace_years(text: str, years: list[str]) -> str:
    if not years:
        return text
    return YEAR.sub(years[0], text) if YEAR.search(text) else f"{text} in {years[0]}"


ASKS_NAME = re.compile(r"\b(?:his|her)\s+(?:full\s+)?name\b", re.I)
PERSON_PRONOUN = re.compile(r"\b(?:he|she|him|her|his)\b", re.I)


def may_skip_back(question: str) -> bool:
    """Whether a follow-up may follow on from the question before the last one: "What about care
    leavers?" after a side question may; "What's his name?" means whoever was just spoken of."""
    return not PERSON_PRONOUN.search(question)


SUBJECT_ENDS = r"in|for|on|at|about|during|with|from|since|by|according|compared|and"  # what closes "for care leavers"


def _subject_after(preposition: str, question: str) -> re.Match | None:
    """Where a question names its subject after `preposition` ("…for care leavers in 2024": group 1 is
    "care leavers "), or None when it names none there, or only a year."""
    said = re.search(rf"\b{re.escape(preposition)}\s+((?:(?!(?:{SUBJECT_ENDS})\b)[\w'’-]+\s*)+)", question, re.I)
    return said if said and not YEAR.search(said.group(1)) else None


def new_subject(question: str) -> list[str]:
    """The words of "what about X?" / "and for X?" / "the same for X?": a new subject, which
    an answer must be about (not "and who led it?", "compared with 2017?")."""
    if ORDINAL.search(question) or asks_more(question):
        return []  # "and the last one?", "and anything else?": the item pointed at or the question before is its subject
    rest, m = question, ELLIPSIS.match(question)
    while m and m.end():  # "and what about…"
        rest = rest[m.end():]
        m = ELLIPSIS.match(rest)
    if rest == question:
        return []
    rest = re.sub(r"^(?:for|in|on|at|about|with|regarding|of)\s+", "", rest.strip(" ?.!"), flags=re.I)
    if not rest or WH_FRAME.match(rest) or AUXILIARY.match(rest) or COMPARE.search(rest) or YEAR.search(rest):
        return []
    return [w for w in content_words(PRONOUN.sub(" ", rest)) if not LATEST_WORDS.fullmatch(w)]


def follow_up_words(question: str) -> str:
    """A follow-up's own words, without "and what about", pronouns or "one": its focus."""
    m = ELLIPSIS.match(question)
    rest = question[m.end():] if m else question
    return ONE.sub(lambda m: m.group(1), PRONOUN.sub(" ", rest))


# "Tell me more about the first one", "the last group": an item of the list just given
ORDINAL = re.compile(r"\bthe (first|second|third|fourth|fifth|last) (of (?:these|those|them)|[a-z]+)\b", re.I)
ORDINALS = {"first": 0, "second": 1, "third": 2, "fourth": 3, "fifth": 4, "last": -1}
ITEM_WORDS = frozenset({"one", "item", "point", "area", "recommendation", "thing"})


def listed_item(question: str, history: list[dict] | None) -> str:
    """The item that "the second one" points at in the latest list the assistant gave (a question
    about the first item may come between), without its citation, or ""."""
    return _pointed_at(question, history)[0]


def _pointed_at(question: str, history: list[dict] | None) -> tuple[str, str]:
    """The item "the second one" points at, and the question the list answered. A word other than
    "one" or "item" must be one that question used: "the first group" after "Which groups…?"."""
    m = ORDINAL.search(question)
    if not m:
        return "", ""
    turns = [t for t in (history or []) if isinstance(t, dict)]
    for i in range(len(turns) - 1, -1, -1):
        content = turns[i].get("content") if turns[i].get("role") == "assistant" else None
        items = [ANSWER_MARKS.sub(" ", ln).strip(" .")
                 for ln in (content or "").splitlines() if ln.lstrip().startswith("- ")]
        if items:
            asked, noun, n = last_user_question(turns[:i]), m.group(2).lower(), ORDINALS[m.group(1).lower()]
            if noun not in ITEM_WORDS and not noun.startswith("of ") and stem(noun) not in {stem(w) for w in content_words(asked)}:
                return "", ""  # "the last inspection" after a list of strengths: not one of them
            return (" ".join(items[n].split()) if n < len(items) else ""), asked
    return "", ""


THE_FIGURE = re.compile(r"\bthe (?:figure|number|total|count|rate|percentage|proportion)\b(?! of)", re.I)


def figure_asked(question: str, history: list[dict] | None) -> list[dict]:
    """For "What was the figure in 2024?" after a question of another kind: the conversation up to
    the answer of the last question that asked for a figure, or [] when none did."""
    if not THE_FIGURE.search(question) or analyse(last_user_question(history)).kind == "number":
        return []
    turns = before_last_question(history)
    while last_user_question(turns):
        if analyse(last_user_question(turns)).kind == "number":
            return turns
        turns = before_last_question(turns)
    return []


def resolve(question: str, history: list[dict] | None) -> str:
    """The question as it should be searched, self-contained."""
    question = question.strip()
    history = figure_asked(question, history) or history  # "the figure" is the one asked for, however long ago
    previous = last_user_question(history)
    item, asked = _pointed_at(question, history)
    if item:  # "Tell me more about the first one": that item says what is asked about, in the list's year
        question = ORDINAL.sub(lambda m: item, question, count=1)
        years = set(YEAR.findall(asked))
        if len(years) == 1 and not YEAR.search(question):
            body = question.rstrip(" ?.!")
            question = f"{body} in {years.pop()}{question[len(body):]}"
        return question
    if previous and asks_more(question):
        return resolve(previous, before_last_question(history))
    answered = last_answer(history)
    refers = refers_back(question, answered)
    if not previous or not (is_follow_up(question) or refers):
        return question
    # The previous question may itself have been a follow-up.
    earlier = before_last_question(history)
    if new_subject(question) and new_subject(previous) and last_user_question(earlier):
        # "And for care leavers?" then "And leadership?": the same question of another subject, not of both
        return resolve(question, earlier)
    prev = resolve(previous, earlier).rstrip(" ?.!")
    if prev.endswith(")"):  # the earlier follow-up's own context: one level is enough, or the query grows each turn
        prev, context = prev.split(" (", 1)
        years = set(YEAR.findall(context))
        if THING_PRONOUN.search(prev) or re.search(r"\bthat\b", prev, re.I) or len(_own_words(prev)) < 2:
            # "Do they help with hobbies too?", "Were there any problems?": who "they" are, or what had
            # problems, is in its context, without the answer given there
            prev = f"{prev} ({context.split(': ', 1)[0].split(' (', 1)[0].rstrip(')')})"
        elif len(years) == 1 and not YEAR.search(prev):  # "…(led the 2024 inspection…)": still 2024 (a comparison's two years are not)
            prev = f"{prev} in {years.pop()}"
    new_years = YEAR.findall(question)
    comparing = bool(COMPARE.search(question) or BETTER.search(question) and (YEAR.search(prev) or new_years)
                     and not [w for w in _own_words(question) if not BETTER.fullmatch(w) and w not in CHANGE_FILLER])
    if LATEST_WORDS.search(question) and not comparing:  # a comparison with now keeps the year it compares
        # "now" replaces the year asked before, with its "in": "…about adoption in 2018" -> "…about adoption"
        prev = " ".join(re.sub(rf"(?:\b(?:in|during|for|from|of)\s+)?{YEAR.pattern}", "", prev).split())
    m = ELLIPSIS.match(question)
    rest = (question[m.end():] if m else question).rstrip(" ?.!")
    if comparing:
        parts = re.split(r"\b(?:compared?|comparison)\s+(?:with|to)\s+", rest, maxsplit=1, flags=re.I)
        target = parts[-1] if len(parts) > 1 else ""  # "Did that change in 2024?" names no other thing to compare with
        asked = YEAR.findall(prev)
        if YEAR_BEFORE.match(target.strip()) and len(set(asked)) == 1:
            target = str(int(asked[0]) - 1)
        if not [w for w in content_words(target) if not YEAR.fullmatch(w)]:
            # "compared with 2017?"; "What changed?" after 2017, then 2024: with the year asked before
            target = " and ".join(new_years) if new_years else target or _year_asked_before(history, prev) or "now"
        return f"{prev}, compared with {target}?"
    if new_years:
        prev = _replace_years(prev, new_years)
    if not rest or re.fullmatch(r"(?:in|for|during|at)?\s*(?:19|20)\d\d", rest, re.I):
        return f"{prev}?"
    if THE_FIGURE.search(rest) and not content_words(YEAR.sub(" ", THE_FIGURE.sub(" ", rest))) and analyse(prev).kind == "number":
        return f"{prev}?"  # "What was the figure in 2024?": the figure asked for before, of that year
    if re.match(r"(?:for|in|on|at|about|during|with|from|among|regarding|of)\b", rest, re.I) and not WH_FRAME.match(rest):
        # "What grade was given for care leavers in 2024?" then "And for children in care?": the one for the other
        said = _subject_after(rest.split()[0], prev)
        if said:
            return f"{prev[:said.start()]}{rest} {prev[said.end():]}".rstrip() + "?"
        return f"{prev} {rest}?"
    if self_contained(rest) and not refers:
        years = YEAR.findall(prev) if not (new_years or LATEST_WORDS.search(rest)) else []
        return f"{rest} in {years[0]}?" if years else f"{rest}?"
    if WH_FRAME.match(rest) or AUXILIARY.match(rest):
        entity = answered_entity(prev, history)
        if entity and THING_PRONOUN.search(rest):
            # "Which borough was chosen?" … "Camden". "What was it rated?": Camden, not the borough it helped
            rest = THING_PRONOUN.sub(lambda m: f"{entity}'s" if m.group(0).lower() in {"its", "their"} else entity, rest)
            return f"{rest}?"
        thing = thing_named(prev) if ONE.search(rest) else ""
        if thing:
            rest = ONE.sub(lambda m: f"{m.group(1)}{thing}", rest, count=1)
        # "What's his name?" after "A permanent director was appointed": someone the last answer did not
        # name, not whoever was named before it
        person = last_person(history[-1:] if ASKS_NAME.search(rest) else history)
        if person:
            rest = re.sub(r"\b(his|her)\s+(?!(?:to|and|of|in|on|at|for|with|by|from|that|when|about)\b)(?=\w)", f"{person}'s ", rest, flags=re.I)
            rest = re.sub(r"\b(he|she|him|her)\b", person, rest, flags=re.I)
        context = topic(prev)  # "who else was on the visit?": which visit comes from before
        if answered and (refers or re.match(r"(?:why|how come)\b", rest, re.I)
                         or (len(answered.split()) <= 12 and re.search(r"\b(?:it|that|this|these|those|they|them)\b", rest, re.I))):
            # "why was that?", "who set it up?": "that", "it" may be what was answered
            context = f"{context}: {answered}"
        rest = f"{rest} ({context})"
        return f"{rest}?"
    graded = GRADED.search(prev)
    if graded and graded_subject(prev):
        # "What grade did care leavers get in 2024?" then "And children in care?": the grade of the other
        at = next(i for i, g in enumerate(graded.groups(), 1) if g)
        return f"{prev[:graded.start(at)]}{rest}{prev[graded.end(at):]}?"
    said = _subject_after("about", prev)
    if said and not PRONOUN.search(rest):
        # "What did inspectors say about disabled children in 2024?" then "And unaccompanied asylum seekers?"
        # (not "And their physical health?": "their" is of what was asked about)
        return f"{prev[:said.start(1)]}{rest} {prev[said.end(1):]}".rstrip() + "?"
    return f"{prev} — {rest}?"
