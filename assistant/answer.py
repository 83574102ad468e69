"""Extractive answers: the sentences that answer the question, each cited, or a refusal.

No language model: sentences are taken verbatim from the retrieved passages,
scored for how well they answer (query terms, the kind of fact asked for, the
passage's own relevance, the year asked about), and the best few are kept.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, replace

from assistant.abbreviations import find_abbreviations, initialisms, singular
from assistant.chunking import split_sentences
from assistant.loaders.structure import ends_sentence
from assistant.questions import DATE, FUTURE, GRADE_WORDS, MONTH_NAMES, MONTHS, PAST_GRADE, GRADE_STATEMENT, HOW_IT_WENT, LATEST_WORDS, MONTH_WORDS, NUMBER, STOPWORDS, TYPE_WORDS, WORD, YEAR, Question, answer_type_score, content_words, finds_polarity, asks_polar_list, grade_name, grade_statements, grade_verdict, polar_list_heading, polar_terms, statement_of, stem
from assistant.thesaurus import related
from assistant.types import Chunk, Citation, DocumentInfo, Hit

TYPE_STEMS = frozenset(stem(w) for w in TYPE_WORDS)
GRADE_STEMS = frozenset(stem(w) for w in "outstanding good inadequate requires require improvement".split())
ABOUT_ITSELF = re.compile(
    r"^\W*(?:\d+(?:\.\d+)*\s+)?(?:this|the purpose of this)\s+(?:report|letter|paper|document|note|briefing|appendix)\s+"
    r"(?:is to\s+)?(?:summari[sz]es|advises|sets out|describes|outlines|provides|presents|informs|updates|asks|seeks)\b", re.I)
# How the inspection was done ("A range of evidence was considered during the visit…", "The visit
# was the fourth monitoring visit…"): it answers questions about the method, not about findings.
EVIDENCE_USED = r"a range of evidence|evidence (?:was|were)|we (?:also )?considered|inspectors (?:reviewed|considered|looked at|met|spoke)"
HOW_DONE = re.compile(rf"^\W*(?:{EVIDENCE_USED})\b", re.I)
ABOUT_METHOD = re.compile(
    rf"^\W*(?:{EVIDENCE_USED}|during (?:the course of )?(?:this|the) visit|the inspectors were|the visit was the|this (?:visit|inspection) (?:was|is) the)\b", re.I)
ASKS_METHOD = re.compile(r"\b(?:evidence|sources?|methods?|look(?:ed|ing)? at|focus(?:ed|sed)? on|review(?:ed)?|consider(?:ed)?|"
                         r"which (?:monitoring )?(?:visit|inspection)|(?:first|second|third|fourth|fifth) (?:monitoring )?visit)\b", re.I)
# "What was the purpose of the 2024 cabinet report?", "What is the letter about?": what the document says of itself answers
ASKS_PURPOSE = re.compile(r"\b(?:purpose|aim|point) of (?:the|this|that)\b(?:\s+[\w'’-]+){0,4}?\s+(?:report|letter|paper|document)\b"
                          r"|\bwhat (?:is|was|does|did) (?:the|this|that) (?:[\w'’-]+\s+){0,3}?(?:report|letter|paper|document) (?:about|for|do)\b", re.I)
PURPOSE_STEMS = frozenset({"purpos", "aim", "point"})
PASSAGES_CONSIDERED = 40  # reranked with the question's own features before sentences are picked
CARRIES_ON = re.compile(r"^\W*(?:in particular|we also|they also|it also|this|these|however|but|also|moreover|additionally|"
                        r"in addition|for example|for instance|as a result|consequently|despite this)\b", re.I)
# a sentence cut off before its end ("…for children and young people to."), not one ending on its verb's
# preposition ("…fully involved and listened to.", "…cared for.")
BREAKS_OFF = re.compile(r"(?<=\s)(?<!ed\s)(?:to|for|of|the|and|or|by|with|in|on|a|an)\W*$")
# Kinds of answer that are a figure: one is only the answer when said of what the question asks about.
COUNTED = frozenset({"number", "money", "duration"})
# A further sentence must answer nearly as well as the best one (its score, as a share of the best's).
EXTRA_SCORE = 0.85
NO_REASON = 0.85  # weight of a sentence giving no reason, asked why
OTHER_VOICE = 0.8  # weight of a person's quoted words, asked what the inspectors thought
# "Did Ofsted think…?", "What did inspectors say…?", "according to Ofsted": the inspectorate's view is asked for
ASKS_INSPECTORS = re.compile(r"\b(?:did|does|do|had|has|have|was|were)\s+(?:ofsted|(?:the\s+)?inspectors|the\s+inspectorate)\b|"
                             r"\baccording\s+to\s+(?:ofsted|(?:the\s+)?inspectors)\b", re.I)
# "When did cabinet consider it?", "When did the committee meet?": a council paper's meeting or decision date
ASKS_MEETING = re.compile(r"\bwhen\b.*\b(?:cabinet|committee|council|board|panel|councillors|members)\b.*?"
                          r"\b(?:consider|discuss|debate|decide|meet|met|approve|agree|review|take|look at)\w*", re.I)
MEETING_DATE = re.compile(r"^\W*(?:date of (?:the )?(?:decision|meeting)|(?:meeting|decision) date)\b", re.I)
MEETING = 0.2  # a paper's meeting date asked for and given in its own field
NOT_SCOPE = 0.8  # weight of a sentence not saying what a visit covered, asked what it looked at
SCENE = 0.3  # weight of the words of a clause that only sets the scene
ASSERTS = 0.1  # a sentence saying what a yes/no question asks, in its words
FOLLOWS_ON = 0.1  # for a follow-up, the sentence that carries on the one just said
SHORT_FORM = re.compile(r"[A-Z]{3,6}s?")  # "NHS", "CQC": capitals, three or more (two spell too much)
LISTED = frozenset({"list", "number"})  # asked for a list, or how many: a list's heading may say what it lists
NAMED_LIST = 0.5  # share of the question's words in a list's heading or lead-in for it to be the list asked about
# A line of a few words ("care leavers.", an item of a list) means nothing beside another sentence.
MIN_EXTRA_WORDS = 4
MIN_LISTED = 3  # items a list answer gives at least (or all it has)
MAX_CONTINUED = 12  # items of a list whose lead-in closes a passage, each in a passage of its own
# "Lead inspector: Christine Kennet": a document's own label before a name.
LABELLED_NAME = re.compile(r"^[A-Za-z][\w '’-]{1,40}:\s*(?:(?:Cllr|Councillor|Dr|Mr|Mrs|Ms|Miss)\.?\s+)?[A-Z][a-z]+")


@dataclass
class Candidate:
    text: str
    hit: Hit
    rank: int  # of the passage in retrieval order
    score: float = 0.0
    lexical: float = 0.0  # share of the question's (idf-weighted) words in the sentence
    passage: float = 0.0  # relevance of the sentence's passage
    typed: float = 0.5  # holds the kind of fact asked for
    position: int = 0  # sentence index inside its passage
    previous: str = ""  # the sentence before it in the passage
    on_year: bool = True  # about the year the question names (or names none)
    covered: bool = True  # its passage mentions every specific name in the question
    heading_match: float = 0.0  # share of the question's words in the passage's heading and first line
    names_list: float = 0.0  # the same, of the question's specific words only: how far the heading names what was asked
    year: int | None = None  # of the source document
    continued: tuple[Chunk, ...] = ()  # the passages after its own that hold the items its closing lead-in introduces
    quoted: bool = False  # a person's words quoted ("…,” she added), not the inspectors'


class Vocabulary:
    """Document frequencies of stemmed words, and the raw words, of one collection."""

    def __init__(self, chunks: list[Chunk], titles: dict[str, str]):
        self.df: Counter[str] = Counter()
        self.words: set[str] = set()
        self.doc_stems: dict[str, set[str]] = {}
        self.lowercase: set[str] = set()  # stems of words seen in lower case: common words, not names
        self.title_stems = {doc: {stem(w) for w in content_words(t)} for doc, t in titles.items()}
        for c in chunks:
            text = f"{c.heading} {c.text}"  # not the title: it would make its words look common
            words = content_words(text)
            self.words.update(words)
            self.words.update(w.lower() for w in re.findall(r"[A-Za-z]+", f"{titles.get(c.doc, '')} {text}"))
            self.lowercase.update(stem(w) for w in re.findall(r"\b[a-z][a-z'’]+\b", c.text))
            stems = {stem(w) for w in words}
            self.df.update(stems)
            self.doc_stems.setdefault(c.doc, set()).update(stems | self.title_stems.get(c.doc, set()))
        self.n = max(1, len(chunks))
        # "A number of strengths were identified:" then one long item a passage: the items belong to it
        self.continued: dict[str, tuple[Chunk, ...]] = {}
        for i, c in enumerate(chunks):
            if _is_lead_in(c.text):
                items = []
                for after in chunks[i + 1:i + 1 + MAX_CONTINUED]:
                    if after.doc != c.doc or after.heading != c.heading or _is_lead_in(after.text):
                        break
                    items.append(after)
                if items:
                    self.continued[c.id] = tuple(items)
        self.neighbours = None  # a WordNeighbours, for question words the collection never uses
        # whose words each line is: a quotation runs on across paragraphs, and so across passages
        self.quoted: dict[str, list[bool]] = {}
        by_doc: dict[str, list[Chunk]] = {}
        for c in chunks:
            by_doc.setdefault(c.doc, []).append(c)
        for doc_chunks in by_doc.values():
            flags = _quoted_people([ln for c in doc_chunks for ln in c.text.split("\n")])
            for c in doc_chunks:
                n = c.text.count("\n") + 1
                self.quoted[c.id], flags = flags[:n], flags[n:]
        # "IROs" and "independent reviewing officers" stand for each other wherever the collection says so;
        # "Cafcass" stands for the long name the collection uses, where its initials spell it
        defined = find_abbreviations(c.text for c in chunks)
        spelt = {short: long for short, long in initialisms(c.text for c in chunks).items() if stem(short) not in self.lowercase}
        self.abbreviations: dict[str, tuple[str, set[str]]] = {}  # short form's stem -> (long form, its stems)
        self._short_forms: dict[str, set[str]] = {}
        self._abbreviated_by: dict[str, set[str]] = {}  # a stem -> the abbreviations it is, or is part of
        self._texts = [c.text for c in chunks]  # searched for the long form of a short form a question brings
        self._tried: set[str] = set()
        defined_stems = {stem(d) for d in defined}
        for short, long in {stem(short): long for short, long in (spelt | defined).items()}.items():
            # a long name stands for its short form only where the collection uses it: "ofse" says nothing
            self._register(short, long, both_ways=stem(short) in defined_stems or short in self.words)

    def _register(self, short: str, long: str, both_ways: bool) -> None:
        """`short` (a stem) stands for `long`, and `long` for `short` too if `both_ways`."""
        self.abbreviations[short] = (long, _stems(long))
        # the short form's stems, singular and plural (Snowball keeps "pas" for "PAs" but makes "IROs" "iro")
        self._short_forms[short] = {short, stem(short + "s")}
        for s in (self.abbreviations[short][1] if both_ways else set()) | self._short_forms[short]:
            self._abbreviated_by.setdefault(s, set()).add(short)

    def spell_out(self, names: list[str]) -> None:
        """Learn what each capital short form among `names` stands for where the collection never
        uses it but writes out words whose initials spell it ("NHS": "national health service numbers")."""
        for name in names:
            short = stem(name.lower())
            if not SHORT_FORM.fullmatch(name) or short in self.abbreviations or name.lower() in self.words or name in self._tried:
                continue
            self._tried.add(name)
            letters = singular(name).lower()
            spelt = re.compile(r"\b" + r"[ \t]+".join(f"{c}[a-z'’-]*" for c in letters) + r"\b", re.I)
            found = {m.group(0).lower() for t in self._texts for m in spelt.finditer(t)}
            found = {f for f in found if len(content_words(f)) == len(letters)}  # "of the council" spells nothing
            if len({tuple(map(stem, f.split())) for f in found}) != 1:
                continue  # never written out, or two things that cannot both be meant
            self._register(short, found.pop(), both_ways=False)

    def _abbreviations_in(self, stems: set[str]) -> list[str]:
        near = set().union(*(self._abbreviated_by.get(s, ()) for s in stems))
        return [short for short in near if self._short_forms[short] & stems or self.abbreviations[short][1] <= stems]

    def with_abbreviations(self, stems: set[str]) -> set[str]:
        """The stems, plus the other form of each abbreviation they hold (short or long)."""
        out = set(stems)
        for short in self._abbreviations_in(stems):
            out |= self.abbreviations[short][1] | {short}
        return out

    def other_forms(self, text: str) -> list[str]:
        """The other form of each abbreviation in a text, to search for too ("IROs" -> "independent reviewing officers")."""
        stems = _stems(text)
        return sorted(self.abbreviations[short][0] if self._short_forms[short] & stems else short
                      for short in self._abbreviations_in(stems))

    def neighbours_of_unknown(self, terms: list[str]) -> set[str]:
        """The collection's words nearest in meaning to the terms it never uses ("staffing" -> staff)."""
        unknown = [t for t in terms if self.df.get(stem(t), 0) == 0 and t.isalpha()]
        if self.neighbours is None or not unknown:
            return set()
        return {w for near in self.neighbours.search(unknown).values() for w, _ in near}

    def idf(self, term: str) -> float:
        return math.log(1 + (self.n - self.df.get(term, 0) + 0.5) / (self.df.get(term, 0) + 0.5))

    def specific_names(self, q: Question) -> set[str]:
        """Stems of the question's names that single out some passages (not "Croydon" in a Croydon corpus)."""
        out = set()
        for name in q.names:
            for part in content_words(name):
                s = stem(part)
                if 0 < self.df.get(s, 0) <= 0.2 * self.n:
                    out.add(s)
        return out

    def named_in_title(self, q: Question, docs) -> list[str]:
        """Of `docs`, those whose titles name all the question names ("Is Barnet still good?": Barnet's
        own reports, not Enfield's naming Barnet's partnership); none when it names nothing."""
        return [d for d in docs if q.name_stems and q.name_stems <= self.title_stems.get(d, set())]

    def unknown_names(self, q: Question) -> list[str]:
        """Proper names in the question that the collection never mentions (another council, say)."""
        self.spell_out(q.names)
        out = []
        for name in q.names:
            parts = [p.lower() for p in re.findall(r"[A-Za-z]+", name)]
            if parts and any(p not in self.words for p in parts) and stem(name.lower()) not in self.abbreviations:
                out.append(name)
        return out


def doc_year(info: DocumentInfo | None) -> int | None:
    if info and info.date[:4].isdigit():
        return int(info.date[:4])
    return None


def _candidates(hits: list[Hit], quoted: dict[str, list[bool]]) -> list[Candidate]:
    out = []
    for rank, hit in enumerate(hits[:PASSAGES_CONSIDERED]):
        position, previous = 0, ""
        lines = hit.chunk.text.split("\n")
        for line, quoted_person in zip(lines, quoted.get(hit.chunk.id) or _quoted_people(lines)):
            for sentence in split_sentences(line):
                if len(sentence) > 3:
                    out.append(Candidate(sentence, hit, rank, position=position, previous=previous, quoted=quoted_person))
                    position, previous = position + 1, sentence
    return out


# Who a news story quotes: "Barbara Peacock, executive director of people, said: “…", then paragraphs
# each opening a quotation mark, to "“…,” she added." A person's words, not the inspectors'.
SAID_OPENING = re.compile(r"^(?:[^“”]*?[.!?]\s+)?([^“”.!?]{0,160}?)\b(?:said|says|added|told [\w ]{1,40}?)\s*:\s*“")
SAID_CLOSING = re.compile(r"”,?\s+((?:the\s+)?(?:[A-Z][\w'’-]*\s+){0,3}?[\w'’-]+)\s+(?:added|said|says|continued)\b"  # "…,” she added / Newman said
                          r"|”,?\s+(?:said|added)\s+((?:Cllr\.?\s+|Councillor\s+)?[A-Z][a-z]+ [A-Z][a-z]+)")  # "…,” said Tony Newman
INSPECTORATE = re.compile(r"\b(?:ofsted|inspectors?|inspectorate|report|letter|watchdog|it)\b", re.I)


def _quoted_people(lines: list[str]) -> list[bool]:
    """For each line, whether it is (in) a quotation of a person's words: a run of lines from one
    opening "X said: “" or "“", each next line opening "“" while the last is unclosed."""
    flags = [False] * len(lines)
    i = 0
    while i < len(lines):
        opening = SAID_OPENING.match(lines[i].strip())
        if not (opening or lines[i].lstrip().startswith("“")):
            i += 1
            continue
        j = i
        while j + 1 < len(lines) and lines[j].rfind("”") < lines[j].rfind("“") and lines[j + 1].lstrip().startswith("“"):
            j += 1
        closing = SAID_CLOSING.search(lines[j])
        speaker = opening.group(1) if opening else (closing.group(1) or closing.group(2)) if closing else ""
        person = bool(speaker) and not INSPECTORATE.search(speaker) and speaker.lower() != "they"
        flags[i:j + 1] = [person] * (j + 1 - i)
        i = j + 1
    return flags


def _overlap(q_stems: dict[str, float], stems: set[str]) -> float:
    total = sum(q_stems.values())
    return sum(w for s, w in q_stems.items() if s in stems) / total if total else 0.0


def _pairs(words: list[str]) -> set[tuple[str, str]]:
    """Neighbouring content words: "caseloads are manageable" holds (caseload, manag)."""
    stems = [stem(w) for w in words if not YEAR.fullmatch(w)]
    return set(zip(stems, stems[1:]))


def _adjacent(text: str) -> set[tuple[str, str]]:
    """Content words side by side, nothing between: "management oversight", not "managers in their oversight"."""
    words = [w.lower().strip("'") for w in WORD.findall(text.replace("’", "'"))]
    return {(stem(a), stem(b)) for a, b in zip(words, words[1:]) if a not in STOPWORDS and b not in STOPWORDS}


def _words_apart(phrases: set[tuple[str, str]], text: str) -> bool:
    """The text holds the words of one of the phrases, but none of the phrases as such."""
    held = {stem(w) for w in WORD.findall(text.replace("’", "'").lower())}
    return not phrases & _adjacent(text) and any(a in held and b in held for a, b in phrases)


def _stems(text: str) -> set[str]:
    return {stem(w) for w in content_words(text)}


LINK = re.compile(r"^(?:of|was|is|were|are|at|to|reached|stood|rose|fell|by|from|numbered|totalled|totaled|around|about|over|nearly|almost)$", re.I)
AGE_OR_NAME = re.compile(r"^(?:aged?|ages|beyond|until|turning|turn|paragraph|appendix|section|page|no)$", re.I)


def _counts(focus: set[str], sentence: str) -> bool:
    """A figure of what was asked about: "48 young people", "an agency rate of 41%", "caseload
    of 14 to 15" (not an age, "beyond 21", nor a name, "the 16+ teams")."""
    spans = list(re.finditer(r"[\w'’%£.,+-]+", sentence))
    tokens = [m.group(0) for m in spans]
    stems = [stem(t.strip(".,")) for t in tokens]
    for i, t in enumerate(tokens):
        figure = t.strip(".,")
        if not NUMBER.fullmatch(figure) or YEAR.fullmatch(figure) or figure.lower() == "one":
            continue  # "replaces one made in January": "one" is more often a pronoun than a count
        near = [t.strip(".,") for t in tokens[max(0, i - 2):i] + tokens[i + 1:i + 2]]
        if any(AGE_OR_NAME.match(t) for t in near[-2:]) or any(t.lower() in {"aged", "age", "ages"} for t in near):
            continue  # "beyond 21", "aged over 21", "the 16+ teams": an age or a name, not a count
        # "48 young people": the thing counted follows the figure; "a caseload of 14": it comes
        # before, linked to it ("foster carers; 48 young people" counts young people).
        if any(stems[j] in focus and not re.search(r"[;:,]|\b(?:for|with|in|at|from|to|on|by)\b", sentence[spans[i].end():spans[j].start()])
               for j in range(i + 1, min(len(tokens), i + 6))):
            # "27 examples of formal escalation", "15 newly qualified social workers" (but "three teams for
            # local children" counts teams)
            return True
        for j in range(max(0, i - 5), i):
            if stems[j] in focus and not re.search(r"[;:]", sentence[spans[j].end():spans[i].start()]) and (
                    j == i - 1 or LINK.match(tokens[i - 1])):
                return True
    return False


def year_match(q: Question, text: str, info: DocumentInfo | None) -> bool:
    """The passage is about a year the question names: the source is from it, or the text says it."""
    if not q.years:
        return True
    mentioned = {int(y) for y in YEAR.findall(text)}
    return bool(mentioned & set(q.years)) or doc_year(info) in q.years


def _asks_method(q: Question) -> bool:
    return q.kind == "who" or bool(ASKS_METHOD.search(q.text))  # who inspected is part of how


def _about_the_document(c: Candidate, asks_method: bool) -> bool:
    """"This letter summarises the findings…", "The visit was the fourth…": about the document or how it was made."""
    return bool(ABOUT_ITSELF.match(c.text) or ABOUT_METHOD.match(c.text) and not asks_method)


def score_candidates(q: Question, hits: list[Hit], vocab: Vocabulary, documents: dict[str, DocumentInfo]) -> list[Candidate]:
    """Score each sentence of the top passages for how well it answers.

    A passage is relevant (its meaning and words match the question); a sentence
    answers (it holds the question's focus words and the kind of fact asked for).
    """
    q_stems = {stem(t): vocab.idf(stem(t)) for t in q.terms}
    for word in vocab.neighbours_of_unknown(q.terms):  # the collection's own words for what was asked
        q_stems.setdefault(stem(word), vocab.idf(stem(word)))
    for s in vocab.with_abbreviations(set(q_stems)) - set(q_stems):
        q_stems[s] = vocab.idf(s)
    # "files" asked, "records" written: the reports' word counts as the question's, as a short form does
    brought = {r: s for r, s in related(set(q_stems)).items() if r not in q_stems and r in vocab.df}

    def as_asked(stems: set[str]) -> set[str]:
        return stems | {brought[r] for r in stems & brought.keys()}
    # "Who led the inspection?" is answered by the one whose role is named for it: the lead inspector.
    agents = ({stem(stem(t) + end) for t in q.terms if t not in q.focus for end in ("or", "er")} & vocab.df.keys()
              if q.kind == "who" else set())
    for s in agents - set(q_stems):
        q_stems[s] = vocab.idf(s)
    # Sentences are scored with the asked-for words weighing triple, and without the
    # years and months that set the scene (the year filter deals with those).
    focus_stems = {s: w for s, w in q_stems.items() if not (YEAR.fullmatch(s) or s in MONTH_WORDS)}
    if q.typed:  # "what grade…": the kind of answer is checked by its type, its word says nothing more
        # (nor, asked "was it rated outstanding?", the grade asked after: any grade given answers, yes or no)
        asked = TYPE_STEMS | (GRADE_STEMS if q.kind == "grade" else set())
        focus_stems = {s: w for s, w in focus_stems.items() if s not in asked} or focus_stems
    asks_purpose = bool(ASKS_PURPOSE.search(q.text))
    if asks_purpose:  # nor does "purpose" ("…purposeful relationships with their PAs")
        focus_stems = {s: w for s, w in focus_stems.items() if s not in PURPOSE_STEMS} or focus_stems
    if q.kind == "when":
        focus_stems = dict(q_stems)
    if q.latest and not q.years:  # "When was Croydon last inspected?": "last" asks for the newest source, "since the last inspection in 2020" is not it
        focus_stems = {s: w for s, w in focus_stems.items() if not LATEST_WORDS.fullmatch(s)} or focus_stems
    for s in {stem(w) for w in q.scene} - {stem(f) for f in q.focus}:
        if s in focus_stems:
            focus_stems[s] *= SCENE  # "…when Ofsted visited in 2018?": the visit is when, not what is asked
    focus = vocab.with_abbreviations({stem(f) for f in q.focus})
    for s in (focus | agents) & set(focus_stems):
        focus_stems[s] *= 3.0
    # "the average social worker caseload": a caseload (not the year it was asked about)
    counted = [f for f in q.focus if not (YEAR.fullmatch(f) or f in MONTH_WORDS)]
    head = {stem(counted[-1])} if counted else set()
    names = vocab.specific_names(q)
    # The question's words that single out passages (not "Croydon" or "Ofsted" in this corpus).
    specific = {s: w for s, w in focus_stems.items() if vocab.df.get(s, 0) <= 0.35 * vocab.n} or focus_stems
    cands = _candidates(hits, vocab.quoted)
    # what a list is asked to be of: not the names ("Inspection of Barnet…" heads all of Barnet's report)
    listed_as = {s: w for s, w in specific.items() if s not in names} or specific
    # The words that say which figure is asked for: the question's own (not a follow-up's context in
    # brackets), less names, years and the kind of answer ("how many", "rate").
    asked_of: set[str] = set()
    if q.kind in COUNTED:
        own = _stems(re.sub(r"\(.*?\)", " ", q.text)) - TYPE_STEMS - q.name_stems
        asked_of = {s for s in specific if s in own and not (YEAR.fullmatch(s) or s in MONTH_WORDS)}
    q_pairs = _pairs(q.terms)
    asserted = statement_of(q)
    # the newest source, of those about what the question names ("Is Barnet still good?": Barnet's latest report)
    considered = hits[:PASSAGES_CONSIDERED]
    titled = set(vocab.named_in_title(q, {h.chunk.doc for h in considered}))
    newest = max((doc_year(documents.get(h.chunk.doc)) or 0 for h in considered if not titled or h.chunk.doc in titled), default=0)
    # "Has it changed since 2018?" asks about 2018 and about now
    asked_years = set(q.years) | ({newest} if q.kind == "compare" and len(set(q.years)) == 1 else set())
    passage_cache: dict[str, tuple[float, bool, int | None]] = {}
    asks_method = _asks_method(q)
    asks_inspectors = bool(ASKS_INSPECTORS.search(q.text))
    meeting = q.kind == "when" and bool(ASKS_MEETING.search(q.text))
    polar = polar_terms(q)  # "What went wrong?": every sentence finding a fault holds "wrong"
    names_polar = polar_list_heading(q)  # …and a list headed "What needs to improve?" is the one asked for
    compared_area = ({stem(f) for f in q.focus if not (YEAR.fullmatch(f) or f in MONTH_WORDS)} - q.name_stems - TYPE_STEMS - GRADE_STEMS
                     if q.kind == "compare" and q.grade else set())
    stems_of: dict[str, set[str]] = {}  # a sentence's stems, read again as the next one's "previous"
    for c in cands:
        chunk = c.hit.chunk
        info = documents.get(chunk.doc)
        if chunk.id not in passage_cache:
            context = as_asked(vocab.with_abbreviations(_stems(f"{info.title if info else ''} {chunk.heading} {chunk.text}")))
            passage_cache[chunk.id] = (_overlap(q_stems, context), year_match(q, chunk.text + " " + chunk.heading, info),
                                       doc_year(info), context)
        p_lex, p_year, year, _ = passage_cache[chunk.id]
        c.continued = vocab.continued.get(chunk.id, ())
        if q.kind in LISTED or polar:
            lead = chunk.text.split("\n", 1)[0]
            # A heading naming the list ("What needs to improve?") says more than a lead-in sentence.
            heading = _stems(chunk.heading)
            c.names_list = max(_overlap(listed_as, heading), 0.7 * _overlap(listed_as, _stems(lead)) if lead.endswith(":") else 0.0)
            # "What were the weaknesses?" is asked of the report's own list of them ("What needs to improve?")
            if names_polar and names_polar.search(chunk.heading):
                c.names_list = 1.0
            elif names_polar and lead.endswith(":") and names_polar.search(lead):
                c.names_list = max(c.names_list, 0.7)
            # a short heading all of whose words the question uses ("Areas for improvement")
            c.heading_match = max(c.names_list, len(heading & set(q_stems)) / len(heading) if len(heading) >= 2 else 0.0)
        words = content_words(c.text)
        for text in (c.text, c.previous):
            if text and text not in stems_of:
                stems_of[text] = as_asked(vocab.with_abbreviations(_stems(text)))
        sentence_stems = stems_of[c.text]
        if polar and finds_polarity(q, c.text):
            sentence_stems = sentence_stems | polar
        before = stems_of[c.previous] - sentence_stems if c.previous else set()
        # Words of the document's own title (its subject) say little about which sentence answers.
        title = vocab.title_stems.get(chunk.doc, set())
        c.lexical = (_overlap(focus_stems, sentence_stems - title) + 0.3 * _overlap(focus_stems, sentence_stems & title)
                     + 0.4 * _overlap(focus_stems, before - title))  # the sentence before sets its subject
        c.passage = 0.5 * max(c.hit.dense, 0.0) + 0.5 * p_lex
        c.typed = 1.0 if asks_purpose and ABOUT_ITSELF.match(c.text) else answer_type_score(q, c.text, vocab.lowercase)
        if q.kind == "when" and q.latest and not q.years and year and c.typed == 1.0 and max(map(int, YEAR.findall(c.text)), default=year) < year:
            c.typed = 0.5  # asked when it last happened: "since the last inspection in 2020", read in 2024, looks back
        if meeting and c.typed > 0.0:
            # "When did cabinet consider the report?": the paper's own "Date of decision" field, not the
            # dates of what it reports ("…the inspection, which concluded on 25th October 2024")
            c.typed = 1.0 if MEETING_DATE.match(c.text) else 0.5
        if q.kind == "number" and head and not _counts(head, c.text):
            c.typed = 0.0  # a figure, but not a figure of what was asked
        if asked_of and not asked_of & (sentence_stems | before):
            c.typed = 0.0  # "how many had an advocate?": 1,000 children, but none said to have one
        if q.kind == "who" and q.focus_is_noun and focus - passage_cache[chunk.id][3]:
            c.typed = 0.0  # a name, but not of the role asked about
        if compared_area and c.typed == 1.0 and not compared_area & sentence_stems:
            c.typed = COMPARED_OVERALL  # "How did leadership's grade change?": a grade, but not said to be leadership's
        c.covered = not (names - passage_cache[chunk.id][3] - vocab.doc_stems.get(chunk.doc, set()))
        score = 0.25 * c.passage + 0.45 * c.lexical + 0.2 * c.typed + 0.08 / (1 + c.rank)
        if q_pairs:
            score += 0.05 * len(q_pairs & _pairs(words)) / len(q_pairs)  # the question's phrases, in its order
        score += 0.03 if c.position == 0 else 0.0
        if meeting and c.typed == 1.0:
            score += MEETING
        if asserted is not None and asserted.search(c.text):
            score += ASSERTS  # "Are caseloads manageable?" / "Overall, caseloads are manageable"
        c.on_year = year_match(q, c.text, info) or p_year
        c.year = year
        if q.years:
            # A source from the year asked about beats a later one looking back at it.
            score += 0.15 if year in asked_years else 0.1 if year_match(q, c.text, info) else 0.05 if p_year else -0.1
        if q.latest and year and year == newest:
            score += 0.15
        if info and info.derived_from in vocab.doc_stems:
            score *= 0.9  # a rewrite of another document here: cite the primary source
        if q.typed and (c.typed == 0.0 or q.kind == "grade" and c.typed <= 0.3):  # a grade in passing, or another's, gives none
            # "When did her involvement end?" may be answered by an event, not a date.
            score *= 0.8 if q.kind == "when" else 0.6
        if (q.scope or q.method) and c.typed < 1.0:
            score *= NOT_SCOPE  # "what did the visit look at?": the visit's finding is not what it set out to look at
        if asks_inspectors and c.quoted:
            score *= OTHER_VOICE  # "Did Ofsted think…?" is not answered by a council officer's words
        if q.kind == "why" and c.typed < 0.5:
            score *= NO_REASON  # asked why: a sentence giving no reason (nor a fault, asked why not) does not answer
        if not c.covered:
            score *= 0.5  # about something else than the names the question gives
        if _is_lead_in(c.text) and (q.kind != "list" or len(_listed(c)) < 3):
            score *= 0.5  # a lead-in ("…were as follows:") says nothing without the list it leads into
        if _about_the_document(c, asks_method) and c.typed < 1.0:
            score *= 0.8  # "This letter summarises the findings…": about the document, not a finding
        if q.answered and q.kind != "compare" and not (q.kind == "when" and c.typed == 1.0) and _similar(c.text, q.answered):
            # a follow-up wants more than what was just said (a comparison restates it; "When was that?"
            # may be answered by the date in the sentence just said)
            score *= 0.75
        if (q.answered and not q.typed and q.kind != "compare" and c.previous and CARRIES_ON.match(c.text)
                and _similar(c.previous, q.answered)):
            score += FOLLOWS_ON  # "…is appropriate. However, when checks are delayed…": where the talk goes next
        c.score = score
    cands.sort(key=lambda c: -c.score)
    if q.latest and not q.years and q.kind == "grade":
        # "Is it still rated inadequate?": the newest verdict answers, whatever older ones said.
        cands = [c for c in cands if c.year == newest and c.typed == 1.0] + [c for c in cands if not (c.year == newest and c.typed == 1.0)]
    if q.answered and q.kind == "why":  # "Why?" is not answered by what was just said: that is what it asks about
        # (unless it gave its own reason: "…has been set up by the chief executive to oversee the programme")
        cands = [c for c in cands if c.typed == 1.0 or not _similar(c.text, q.answered)]
    if q.item:  # nor is "How were things for the first group?" by the list just given, which named the group
        item = _words(q.item)
        chunks = {c.hit.chunk.id: c.hit.chunk for c in cands}  # each passage's lines read once, not once per sentence
        listed = {cid: [_words(ln) for ln in _list_lines(chunk)] for cid, chunk in chunks.items()}
        cands = [c for c in cands if not (item in listed[c.hit.chunk.id] and _words(c.text) in listed[c.hit.chunk.id])]
    if q.told:  # "Tell me more": what was not said yet
        cands = [c for c in cands if not any(_similar(c.text, t) for t in q.told)]
    if q.years and q.kind != "compare":  # a question about a year is answered from that year, or not at all
        cands = [c for c in cands if c.on_year] or cands
    return cands


def confidence(cands: list[Candidate]) -> float:
    """How well the best sentence answers: its own score, which weighs its passage's meaning and
    words, its own words, the kind of fact asked for and the year (it separates the dev set's
    unanswerable questions from the rest better than the passage's relevance alone)."""
    return cands[0].score if cands else 0.0


SAME_OPENING = 8  # words: two sentences opening alike say the same thing, however they end


def _similar(a: str, b: str) -> bool:
    sa, sb = {stem(w) for w in content_words(a)}, {stem(w) for w in content_words(b)}
    opening = a.lower().split()[:SAME_OPENING]
    return (bool(sa and sb) and len(sa & sb) / len(sa | sb) > 0.6
            or len(opening) == SAME_OPENING and opening == b.lower().split()[:SAME_OPENING])


def _words(text: str) -> list[str]:
    """A line's words, less its item mark: "2. Consistency of practitioners." is the item "Consistency of practitioners"."""
    return re.findall(r"\w+", re.sub(r"^\s*(?:\d{1,2}[.)]|[-*•])\s+", "", text).lower())


def _list_lines(chunk: Chunk) -> list[str]:
    return [ln for ln in chunk.text.split("\n") if ln.strip()]


def _listed(c: Candidate) -> list[tuple[str, Chunk]]:
    """The lines of a candidate's passage, then those of the passages its closing lead-in introduces."""
    own = [(ln, c.hit.chunk) for ln in _list_lines(c.hit.chunk)]
    if not c.continued:
        return own
    return own[-1:] + [(ln, chunk) for chunk in c.continued for ln in _list_lines(chunk)]


def select(q: Question, cands: list[Candidate], max_words: int, max_list_words: int, max_sentences: int) -> list[Candidate]:
    """The sentences to answer with: the best one, then what adds to it within the word budget."""
    if not cands:
        return []
    best = cands[0]
    if q.kind == "list" or asks_polar_list(q):  # "What went wrong?" asks for the faults found: a list of them answers
        listed = _asked_list(q, cands)
        # "What were the strengths?" is not answered by a relevant list that does not say it lists
        # strengths (a list of grades answers only a question about grades)
        named = listed is not None and listed.heading_match >= NAMED_LIST
        judged = not q.polarity or q.grade
        if named or listed is not None and judged and listed.passage >= 0.9 * max(c.passage for c in cands[:10]):
            # a table of grades: its grades, not the dates and inspectors beside them
            whole = _whole_list(listed, max_list_words, GRADE_STATEMENT.search if q.grade else None)
            # items a paragraph long, of which the words allow one or two, are not a list to read
            if len(whole) - _is_lead_in(whole[0].text) >= min(MIN_LISTED, _items(listed)):
                return whole
    if q.kind in {"who", "what", "entity"} and _is_list_item(best):
        return _whole_list(best, max_list_words)  # "who was given feedback?": all of those listed
    # "A number of strengths were identified:" says nothing without the items it leads into
    # (unless it holds what was asked for: "Inspectors made four recommendations:" answers "how many?")
    cands = [c for c in cands if not _is_lead_in(c.text) or q.typed and c.typed == 1.0] or cands
    best = cands[0]
    if q.kind == "compare" or len(set(q.years)) >= 2 and q.kind != "when":  # "when, between 2020 and 2024?" asks for one time
        return _compare(q, cands, max_words, max_sentences)
    chosen = [best]
    if q.kind == "who" and best.typed == 1.0 and LABELLED_NAME.match(best.text):
        return chosen  # "Lead inspector: Christine Kennet": the document's own label answers whole
    words = len(best.text.split())
    follow = _carried_on(best, cands, max_words - words) if not q.typed else None
    if follow is not None:
        chosen.append(follow)
        words += len(follow.text.split())
    if q.kind == "when" or q.one:
        return chosen  # one time (or one thing) asked for: further sentences only bring other dates (or things)
    asks_method = _asks_method(q)
    asserted = statement_of(q)
    said_so = asserted is not None and asserted.search(best.text) is not None
    # the focus as a phrase ("management oversight"), when the best sentence says it so
    focus = [stem(f) for f in q.focus]
    named_as = set(zip(focus, focus[1:])) & _adjacent(best.text) if len(focus) >= 2 else set()
    for c in cands[1:]:
        if c in chosen:
            continue
        if said_so and c.hit.chunk.id != best.hit.chunk.id:
            continue  # "Are caseloads manageable?" / "Overall, caseloads are manageable…": said; elsewhere only blurs it
        if named_as and c.hit.chunk.id != best.hit.chunk.id and _words_apart(named_as, c.text):
            continue  # "management oversight" asked and said: another passage's "managers in their oversight" is not it
        if len(chosen) >= max_sentences or c.score < EXTRA_SCORE * best.score:
            break
        if q.typed and c.typed < 1.0:
            continue  # asked for a name, a date or a figure: more sentences must give one too
        if q.polarity in {"negative", "positive"} and q.kind != "yesno" and c.typed < min(best.typed, 0.8):
            continue  # "what went wrong?": more sentences must find faults too (a yes/no is also answered by the contrary)
        if (q.kind == "why" or q.scope or q.method) and c.typed < best.typed == 1.0:
            continue  # a reason (or what was covered) given: more sentences must give reasons too
        if q.answered and _similar(c.text, q.answered):
            continue  # said just before: a follow-up's further sentence must add to it
        if not q.typed and _about_the_document(c, asks_method):
            continue  # the best sentence may say what the letter covers; a further one adds nothing
        if asks_method and HOW_DONE.match(best.text) and not HOW_DONE.match(c.text):
            continue  # the evidence a visit drew on told: a further sentence must tell more of it, not what was found
        if not _adds_to(c, chosen, max_words - words):
            continue
        chosen.append(c)
        words += len(c.text.split())
        follow = _carried_on(c, cands, max_words - words) if not q.typed and len(chosen) < max_sentences else None
        if follow is not None and follow not in chosen:
            chosen.append(follow)
            words += len(follow.text.split())
    return chosen


def _asked_list(q: Question, cands: list[Candidate]) -> Candidate | None:
    """The list that best answers: a passage of several items whose heading or lead-in names
    what was asked ("What needs to improve?"), else the most relevant one."""
    lists = {c.hit.chunk.id: c for c in cands if len(_listed(c)) >= 3 and c.covered and c.on_year
             # a list of grades for a question about grades ("did any of the areas fall short of good?")
             and (not q.grade or sum(bool(GRADE_STATEMENT.search(ln)) for ln, _ in _listed(c)) >= 2)}
    return max(lists.values(), key=lambda c: (c.heading_match, c.passage), default=None)


def _is_lead_in(text: str) -> bool:
    """"…were as follows:": a line that introduces what comes after it."""
    return text.rstrip().endswith(":")


def _items(c: Candidate) -> int:
    """How many items a list passage holds, less its lead-in."""
    lines = _listed(c)
    return len(lines) - _is_lead_in(lines[0][0])


def _adds_to(c: Candidate, chosen: list[Candidate], room: int) -> bool:
    """A further sentence worth its words: one that means something alone, fits the words left
    and does not say again what a chosen one says."""
    return (MIN_EXTRA_WORDS <= len(c.text.split()) <= room and not c.text[:1].islower()  # "work closely with…": an item cut from its lead-in
            and not any(_similar(c.text, x.text) for x in chosen))


def _carried_on(c: Candidate, cands: list[Candidate], room: int) -> Candidate | None:
    """The sentence after `c` in its passage when it carries it on ("…drift and delay in securing
    permanence. In particular, this affects children waiting to be matched…"): it belongs with it."""
    follow = next((x for x in cands if x.hit.chunk.id == c.hit.chunk.id and x.position == c.position + 1), None)
    # "…supports the Mayor's Business Plan priority for children and young people to." breaks off: the next line ends it
    if (follow is not None and (CARRIES_ON.match(follow.text) or BREAKS_OFF.search(c.text)) and not ABOUT_ITSELF.match(follow.text)
            and MIN_EXTRA_WORDS <= len(follow.text.split()) <= room):
        return follow
    return None


def _is_list_item(c: Candidate) -> bool:
    """An item of a list with a lead-in ("…gave feedback to:" then one line per person)."""
    lines = _list_lines(c.hit.chunk)
    return len(lines) >= 4 and _is_lead_in(lines[0]) and c.text in lines[1:]


def _whole_list(c: Candidate, max_words: int, keep=None) -> list[Candidate]:
    """The list `c` is in, its lead-in first, within `max_words`; with `keep`, only the items it keeps."""
    lines = _listed(c)
    if _is_lead_in(lines[0][0]):
        lines[0] = (split_sentences(lines[0][0])[-1], lines[0][1])  # the lead-in itself, not what comes before it
    if keep is not None:
        lines = [(ln, chunk) for i, (ln, chunk) in enumerate(lines) if keep(ln) or i == 0 and _is_lead_in(ln)]
    hits = {c.hit.chunk.id: c.hit}
    return _within([Candidate(ln, hits.setdefault(chunk.id, Hit(chunk, 0.0)), c.rank, c.score) for ln, chunk in lines], max_words)


def _within(items: list[Candidate], max_words: int) -> list[Candidate]:
    out, words = [], 0
    for c in items:
        words += len(c.text.split())
        if out and words > max_words:
            break
        out.append(c)
    return out


COMPARED_OVERALL = 0.8  # typed: a grade stated, not of the area whose grades are compared
PARALLEL = 0.2  # weight of what a later year's sentence shares with the first year's


def _told(c: Candidate) -> set[str]:
    """What a sentence speaks of: its stems, less its years."""
    return _stems(c.text) - {str(y) for y in YEAR.findall(c.text)}


def _parallel(c: Candidate, told: set[str]) -> float:
    """The share of what the first year's sentence speaks of (`told`) that another sentence speaks of too."""
    return len(told & _stems(c.text)) / len(told) if told else 0.0


def _compare(q: Question, cands: list[Candidate], max_words: int, max_sentences: int) -> list[Candidate]:
    """One sentence per year compared: the best for each year the question names
    (or, naming one, for that year and the best from another year), and, unless grades are
    compared, a second one for the later year when it answers nearly as well: what changed is told there."""
    years = sorted(set(q.years))
    chosen: list[Candidate] = []
    if q.grade:  # comparing grades: only sentences that state one, of the area asked about if they can
        cands = sorted([c for c in cands if c.typed >= COMPARED_OVERALL] or cands, key=lambda c: -c.typed)
    for year in years:
        # after the first year, what is told of the same thing: the sentence that shares its words
        # (not for grades: each year's grade of the area asked about, however it is worded)
        if chosen and not q.grade:
            told = _told(chosen[0])
            ranked = sorted(cands, key=lambda c: -(c.score + PARALLEL * _parallel(c, told)))
        else:
            ranked = cands
        for c in ranked:
            mentioned = {int(y) for y in YEAR.findall(c.text)}
            if year in mentioned or (not mentioned and c.on_year and c.year == year):
                if c not in chosen and not any(_similar(c.text, x.text) for x in chosen):
                    chosen.append(c)
                    break
    if len(years) < 2:
        # "Has it changed since 2018?": compared with what came after, most often now.
        after = [c for c in cands if c not in chosen and c.year and years and c.year > years[0]]
        newest = [c for c in after if c.year == max(x.year for x in after)]
        # the newest year says where things stand, unless it answers much worse than a year between
        later = newest[0] if newest and newest[0].score >= 0.8 * after[0].score else after[0] if after else None
        other = later or next((c for c in cands if c not in chosen and c.year not in years), None)
        if other is not None:
            chosen.append(other)
    if len(chosen) == 2 and max_sentences > 2 and not q.grade:  # a grade is told in one statement a year
        later = max(chosen, key=lambda c: c.year or 0)
        words = sum(len(c.text.split()) for c in chosen)
        more = next((c for c in cands if c not in chosen and c.year == later.year and c.score >= EXTRA_SCORE * later.score
                     and _adds_to(c, chosen, max_words - words)), None)
        if more is not None:
            chosen.append(more)
    return (chosen or cands[:1])[: max(2, max_sentences)]


def _with_marker(sentence: str, n: int) -> str:
    s = sentence.rstrip()
    m = re.search(r"([.!?:;][\"'”’)]*)$", s)
    if m:
        return f"{s[:m.start()]} [{n}]{m.group(1) if m.group(1)[0] != ':' else '.'}"
    return f"{s} [{n}]."


ITEM_NUMBER = re.compile(r"^(?:\(\d{4}\)\s*)?\d{1,2}[.)]\s+")  # "1. " before a list item: the bullet says it


def render(chosen: list[Candidate], documents: dict[str, DocumentInfo], as_list: bool,
           dated: bool = False) -> tuple[str, list[Citation]]:
    """The answer text with its [n] markers, each sentence labelled with its source's year when the
    sources are of several years, or when `dated` (the sentence's own time needs its year)."""
    numbers: dict[str, int] = {}
    citations: list[Citation] = []
    years = {doc_year(documents.get(c.hit.chunk.doc)) for c in chosen}
    label_years = dated or len(years - {None}) > 1
    parts = []
    for c in chosen:
        chunk = c.hit.chunk
        if chunk.id not in numbers:
            numbers[chunk.id] = len(numbers) + 1
            info = documents.get(chunk.doc) or DocumentInfo(doc=chunk.doc, title=chunk.doc)
            citations.append(
                Citation(
                    n=numbers[chunk.id], doc=chunk.doc, title=info.title, ref=chunk.ref, page=chunk.page,
                    text=chunk.text, score=round(float(c.score), 4), date=info.date, publisher=info.publisher,
                    chunk_id=chunk.id, heading=chunk.heading,
                )
            )
        text = _with_marker(c.text, numbers[chunk.id])
        if label_years:
            year = doc_year(documents.get(chunk.doc))
            text = f"({year}) {text}" if year else text
        if parts and BREAKS_OFF.search(chosen[len(parts) - 1].text):
            parts[-1] = parts[-1][:-1] + ":"  # "…for children and young people to [1]: ensure…"
        parts.append(text)
    if as_list:
        # The lead-in ("…four recommendations for improvement:") introduces the items, one a line.
        lead = [f"{parts.pop(0)[:-1].rstrip()}:"] if _is_lead_in(chosen[0].text) else []
        items = [f"- {ITEM_NUMBER.sub('', p)}" for p in parts]
        return "\n".join(lead + items), citations
    return " ".join(parts), citations


CANNOT_ANSWER = "I can't find an answer to that in this collection."  # how every refusal begins
NOTHING_MORE = "It says nothing more on this than what was said."  # "tell me more" when all was said


def refusal(documents: dict[str, DocumentInfo], reason: str = "") -> str:
    infos = sorted(documents.values(), key=lambda d: d.date, reverse=True)
    covered = "; ".join(f"{d.title} ({d.date[:4]})" if d.date else d.title for d in infos[:5])
    more = f", and {len(infos) - 5} more" if len(infos) > 5 else ""
    why = f" {reason}" if reason else ""
    count = f"{len(infos)} document{'' if len(infos) == 1 else 's'}"
    return f"{CANNOT_ANSWER}{why} It covers {count}: {covered}{more}."


def _passage_is_about(c: Candidate, words: list[str]) -> bool:
    """Its passage holds at least half of the words, or words of the same meaning ("leadership": "leaders";
    "youth offending": neither, so it is not)."""
    held = _stems(f"{c.hit.chunk.heading} {c.hit.chunk.text}")
    return _overlap({stem(w): 1.0 for w in words}, held | related(held).keys()) >= 0.5


def _unsupported(q: Question, cands: list[Candidate]) -> str:
    """Why the best sentence cannot be the answer, or "": it lacks the kind of fact asked for,
    or it is about another year than the one asked about."""
    if not cands:
        return "Nothing in it matches the question."
    best = cands[0]
    if q.typed and best.typed == 0.0 and q.kind != "when":
        kind = {"who": "a name", "when": "a date", "duration": "a length of time", "age": "an age", "number": "a figure",
                "money": "an amount of money", "grade": "a grade", "entity": "a name"}[q.kind]
        return f"No passage gives {kind} for this."
    if q.graded and not q.about and not _passage_is_about(best, q.graded):
        return f"Nothing in it gives a grade for {' '.join(q.graded)}."
    if q.future and not FUTURE.search(best.text):
        return "It reports what has happened, and nothing in it says what is planned for this."
    if q.about and not _passage_is_about(best, q.about):
        return f"Nothing in it is about {' '.join(q.about)}."
    if q.years and not (best.on_year or q.kind == "compare" and any(c.on_year for c in cands)):
        return f"Nothing in it covers {', '.join(map(str, sorted(set(q.years))))} on this."
    if not best.covered:
        return "No passage about what the question names answers it."
    return ""


def _counted_list(q: Question, cands: list[Candidate]) -> Candidate | None:
    """For "how many areas for improvement…?" when no sentence gives the figure: the list whose
    heading or lead-in names what is counted, to be counted."""
    if q.kind != "number" or not cands or cands[0].typed > 0.0:
        return None
    listed = _asked_list(q, cands)
    # "What needs to improve?" lists what needs to improve, not how many children's homes do
    return listed if listed is not None and listed.names_list >= NAMED_LIST else None


MIN_OVERVIEW_WORDS = 10  # fewer, and a sentence says where to look ("The report is included at Appendix 1"), not what happened


# "Ofsted's report can be found here.", "REPORT TITLE: Outcome of…": where to look, or a form's label, not what happened
POINTER_OR_LABEL = re.compile(r"\b(?:can be (?:found|read|seen)|click here|(?:is|are) (?:included|attached|available) (?:at|in|here|on))\b"
                              r"|^\W*[A-Z][A-Z&/ ]{2,}:")


def _tells(text: str) -> bool:
    """A whole sentence that can tell a story: long enough, and ended (a headline or a lead-in is not)."""
    return len(text.split()) >= MIN_OVERVIEW_WORDS and ends_sentence(text) and not POINTER_OR_LABEL.search(text)


def compose_overview(per_doc: list[tuple[Question, list[Hit]]], vocab: Vocabulary, documents: dict[str, DocumentInfo],
                     per_document: int = 1, told: list[str] | None = None) -> Composed:
    """"What happened in 2017?": for each document of the time (or about the name), the `per_document`
    sentences that best say what its title says it is about, each saying something new (and, asked
    "tell me more", not `told` already), oldest document first; each is labelled with its year."""
    chosen: list[Candidate] = []
    for title, hits in per_doc:
        # a document's grade is told by a statement of it ("Overall effectiveness: Good"), however short
        tells = (lambda c: c.typed == 1.0) if title.kind == "grade" else (lambda c: _tells(c.text))
        cands = [c for c in score_candidates(title, hits, vocab, documents) if tells(c)]
        picked: list[Candidate] = []
        for c in cands:
            if len(picked) == per_document:
                break
            if not any(_similar(c.text, t) for t in [*(told or []), *(p.text for p in picked)]):
                picked.append(c)
        chosen += picked
    if not chosen:
        reason = NOTHING_MORE if told else "Nothing in it matches the question."
        return Composed(refusal(documents, reason), [], True, 0.0)
    chosen.sort(key=lambda c: documents[c.hit.chunk.doc].date)  # the documents asked about are the collection's own
    text, citations = render(chosen, documents, as_list=False)
    return Composed(text, citations, False, min(c.score for c in chosen))


MONTH_NUMBER = {m.lower(): i for i, m in enumerate(MONTH_NAMES, 1)}


def _when(date: str, info: DocumentInfo | None = None) -> tuple[int, int] | None:
    """"4th December 2024" -> (2024, 12), "2017" -> (2017, 0); with no year, the source's."""
    iso = re.match(r"((?:19|20)\d\d)-(\d\d)", date)
    if iso:
        return int(iso.group(1)), int(iso.group(2))
    year = YEAR.search(date)
    month = re.search(MONTHS, date, re.I)
    y = int(year.group(0)) if year else doc_year(info)
    return (y, MONTH_NUMBER[month.group(0).lower()] if month else 0) if y else None


def _said_when(when: tuple[int, int]) -> str:
    return f"{MONTH_NAMES[when[1] - 1]} {when[0]}" if when[1] else str(when[0])


def _time_between(a: tuple[int, int], b: tuple[int, int]) -> str:
    """"2 years and 6 months"; in whole years when either time has no month."""
    if not (a[1] and b[1]):
        years = b[0] - a[0]
        return f"about {years} year{'s' * (years != 1)}"
    months = (b[0] - a[0]) * 12 + b[1] - a[1]
    years, months = divmod(months, 12)
    parts = [f"{years} year{'s' * (years != 1)}"] * bool(years) + [f"{months} month{'s' * (months != 1)}"] * bool(months)
    return " and ".join(parts) or "less than a month"


def _graded_times(q: Question, c: Candidate, documents: dict[str, DocumentInfo]) -> list[tuple[tuple[int, int], str]]:
    """The grades a sentence states, each with its time: the date nearest it in the sentence ("judged
    inadequate in September 2017"), or, said in the present ("Overall effectiveness: Good"), the source's."""
    stated = [(m.start(), grade_name(g.group(0)))
              for m in grade_statements(q.text, c.text)
              if (g := GRADE_WORDS.search(m.group(0))) and VERDICT_ENDS.match(c.text, m.end())]  # not "is good evidence"
    if not stated:
        return []
    info = documents.get(c.hit.chunk.doc)
    dates = [(m.start(), _when(m.group(0), info)) for m in DATE.finditer(c.text)]
    if dates:
        return [(when, min(stated, key=lambda g: abs(g[0] - at))[1]) for at, when in dates if when]
    # undated, a verdict on the whole service (not on one area of it) in the present is the source's own
    when = _when(info.date if info else "")
    whole = OVERALL.search(c.text) and not PAST_GRADE.search(c.text)
    return [(when, grade) for _, grade in stated] if when and whole else []


VERDICT_ENDS = re.compile(r"['’\"]?\s*(?:[.,;:)–-]|$|(?:and|in|at|on|since|by|from|when|for|with|overall|again|to be good)\b)", re.I)
OVERALL = re.compile(r"\boverall\b|^\W*(?:children['’]s services|services for children(?: and young people)?) in (?-i:[A-Z])", re.I)


def compose_interval(q: Question, hits: list[Hit], per_doc: list[tuple[Question, list[Hit]]], vocab: Vocabulary,
                     documents: dict[str, DocumentInfo]) -> Composed | None:
    """"How long did it take to go from inadequate to good?": the first time the first grade was given, the
    first time after it the second was, each with the sentence saying so, and the time between. The times
    are those the passages found give ("judged inadequate in September 2017") and those of each report's
    own verdict (`per_doc`: each document's passages found for its grade); None when they do not date both."""
    cands = score_candidates(q, hits, vocab, documents)
    for asked, found in per_doc:
        cands += [c for c in score_candidates(asked, found, vocab, documents) if c.typed == 1.0][:1]
    first, then = q.interval
    graded = [(when, grade, c) for c in cands if c.covered for when, grade in _graded_times(q, c, documents)]
    start = min((g for g in graded if g[1] == first), key=lambda g: g[0], default=None)
    end = min((g for g in graded if start and g[1] == then and g[0] > start[0]), key=lambda g: g[0], default=None)
    if start is None or end is None:
        return None
    chosen = [start[2]] + [end[2]] * (end[2] is not start[2])
    text, citations = render(chosen, documents, as_list=False)
    markers = ", ".join(str(c.n) for c in citations)
    span = (f"{_time_between(start[0], end[0]).capitalize()}: from {_said_when(start[0])} ({first}) "
            f"to {_said_when(end[0])} ({then}) [{markers}].")
    return Composed(f"{span} {text}", citations, False, min(c.score for c in chosen))


@dataclass
class Composed:
    text: str
    citations: list[Citation]
    abstained: bool
    confidence: float


def compose(q: Question, hits: list[Hit], vocab: Vocabulary, documents: dict[str, DocumentInfo],
            threshold: float, max_words: int = 80, max_list_words: int = 160, max_sentences: int = 3) -> Composed:
    unknown = vocab.unknown_names(q)
    if unknown:
        return Composed(refusal(documents, f"It never mentions {', '.join(unknown[:3])}."), [], True, 0.0)
    cands = score_candidates(q, hits, vocab, documents)
    if q.kind == "grade" and re.search(HOW_IT_WENT, q.text, re.I) and _unsupported(q, cands):
        # "How were disabled children doing?": no grade was given them, so what was found of them
        q = replace(q, kind="what", grade=False)
        cands = score_candidates(q, hits, vocab, documents)
    conf = confidence(cands)
    counted = _counted_list(q, cands)
    missing = _unsupported(q, cands) if counted is None else ""
    if conf < threshold or missing:
        # "Tell me more" when all was said: say so, not that the collection lacks it
        return Composed(refusal(documents, NOTHING_MORE if q.told else missing), [], True, conf)
    if counted is not None:
        text, citations = render(_whole_list(counted, max_list_words), documents, as_list=True)
        heading = counted.hit.chunk.heading.strip()
        # the count is the list's own (its one citation, [1]); where it stands says what was counted
        count = f"{_items(counted)}, as listed under “{heading}” [1]:" if heading else f"{_items(counted)} [1]:"
        return Composed(f"{count}\n{text}", citations, False, conf)
    chosen = select(q, cands, max_words, max_list_words, max_sentences)
    if q.second is not None:
        # "What's the latest judgement, and when was it published?": the best answer to each part.
        other = score_candidates(q.second, hits, vocab, documents)
        if other and not _unsupported(q.second, other) and not any(_similar(other[0].text, c.text) for c in chosen):
            chosen = chosen[: max(1, max_sentences - 1)] + [other[0]]
    # one passage's lines, each a sentence of the answer: a list, whether a lead-in or a heading names it
    lines = {ln.strip() for ln in _list_lines(chosen[0].hit.chunk)} if chosen else set()
    whole_list = (len({c.hit.chunk.id for c in chosen}) == 1
                  and (_is_lead_in(chosen[0].text) or all(c.text.strip() in lines for c in chosen)))
    as_list = len(chosen) >= 3 and (q.kind == "list" or whole_list)
    # "When did Camden start helping?" "…replaces one made in January": January of the source's year
    dated = q.kind == "when" and not YEAR.search(chosen[0].text)
    text, citations = render(chosen, documents, as_list, dated)
    verdict = grade_verdict(q.text, chosen[0].text) if q.kind == "grade" else ""
    if verdict:
        text = f"{verdict}: {text}"
    return Composed(text, citations, False, conf)
