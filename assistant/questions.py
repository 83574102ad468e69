"""What a question asks for: its type, the years it names, whether it wants the latest facts.

Plain rules over the words: no language model is needed in the default mode.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from assistant.loaders.structure import SIGN_OFF

YEAR = re.compile(r"\b(19[5-9]\d|20[0-4]\d)\b")
WORD = re.compile(r"[A-Za-z][A-Za-z'’\-]+|\d+(?:[.,]\d+)*%?")

STOPWORDS = frozenset(
    """a an the of to in on for and or but is are was were be been being by with at from as that this these those
    it its their there they them he she his her we our you your i me my what which who whom whose when where why how
    did do does done doing has have had having not no nor so than then too very can could should would will shall may
    might must about into over under again further once any all each few more most other some such only own same just
    also both up down out off if because while until against between through during before after above below
    many much tell say said give given get got ever yet still now latest current currently recent recently
    please according report reports document documents following thing things
    what's who's where's when's why's how's that's it's there's here's let's i'm i've i'd you're we're they're he's she's
    isn't aren't wasn't weren't don't doesn't didn't hasn't haven't hadn't can't couldn't won't wouldn't shouldn't""".split()
)

LATEST_WORDS = re.compile(r"\b(now|latest|current(?:ly)?|most recent|recent|today|present|newest|last(?!\s*[?.!])|still|any ?more)\b", re.I)
COMPARE_WORDS = re.compile(r"\b(compare[sd]?|comparison|versus|vs\.?|differ(?:ence|ent)?|change[sd]?|improve[sd]? since|between \d{4} and \d{4})\b", re.I)
LIST_WORDS = re.compile(r"\b(list|what (?:are|were) the|which (?:areas|groups|services|recommendations)|recommendations|areas for improvement|needs? to improve|what needs|strengths|priorities|who (?:was|were) given)\b", re.I)

GRADE_WORDS = re.compile(
    r"\b(outstanding|good|requires? improvement(?: to be good)?|inadequate)\b", re.I
)
_GRADE = r"(?:outstanding|good|requires? improvement(?: to be good)?|inadequate)"
# Searched for too when a grade is asked for: the words a passage stating one is written in
GRADE_SEARCH_WORDS = "overall effectiveness judged outstanding good requires improvement inadequate"
# A grade stated as a verdict ("Overall effectiveness: Good", "judged … as 'good'", "rated … ‘inadequate’"),
# not the word in passing ("good quality", "must be good for", "to be judged good").
GRADE_STATEMENT = re.compile(
    rf"(?:[:–]\s*|\s-\s*)['‘’\"]?{_GRADE}\b|['‘’\"]{_GRADE}['‘’\"]|(?<!be )\b(?:judged|rated|graded|grade of)\s+(?:\w+\s+){{0,8}}?(?:as\s+)?(?<!than ){_GRADE}\b"
    rf"|\b(?:is|are|was|were|remains?)\s+(?:still\s+)?['‘]?{_GRADE}\b|\b{_GRADE}[- ]rated\b|\brequires? improvement to be good\b"
    # "The overall judgement is that children's services require improvement"
    rf"|\b(?:judgement|judgment|grade|rating|verdict)\s+(?:is|was)\s+that\s+(?:[\w'’-]+\s+){{0,4}}?{_GRADE}\b",
    re.I,
)
NUMBER = re.compile(r"\b\d+(?:[.,]\d+)?%?|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|hundred|thousand|half|double[sd]?|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth)\b", re.I)
MONTH_NAMES = "January February March April May June July August September October November December".split()
MONTHS = rf"(?:{'|'.join(MONTH_NAMES)})"
DATE = re.compile(rf"\b(?:\d{{1,2}}(?:st|nd|rd|th)?\s+(?:(?:and|to|-|–)\s+\d{{1,2}}(?:st|nd|rd|th)?\s+)?{MONTHS}(?:\s+\d{{4}})?|{MONTHS}\s+\d{{4}}|(?:19|20)\d\d|\d{{1,2}}/\d{{1,2}}/\d{{2,4}})\b")
# A capitalised word of a name: "Brenda", "McLaughlin", "O'Brien", "Jenny-ellen"
NAME_WORD = r"(?:O['’])?[A-Z][a-z]+(?:[A-Z][a-z]+)?(?:-[A-Za-z][a-z]+)*"
NAME = re.compile(rf"\b{NAME_WORD}(?:\s+(?:{NAME_WORD}|[A-Z]\.))+\b")
TITLE_WORDS = frozenset("""executive mayor lead member chief director corporate council cabinet department education
    children young people services service borough london croydon ofsted inspector inspectors majesty majesty's his her
    head deputy interim government care social the local authority report appendix inspection panel framework
    business plan outcome priority democratic community faith sector voluntary act regulations""".split())


# "An Ofsted report…", "In September…": a capitalised opening word and one name are not a name of someone
OPENING_WORD = re.compile(r"(?:The|A|An|This|That|These|Those|In|On|At|For|But|And|However|When|While|If|Since|After)\s+[A-Z][a-z]+")


ROLE_OR_BODY = re.compile(
    r"\b(?:government|department for \w+|ministers?|secretary of state|chief executive|lead member|(?:executive |corporate )?director|"
    r"commissioner|council leader|executive mayor|judiciary|courts?|"
    # the people and teams who do the work ("…domestic violence advisers in the MASH add value")
    r"(?:social |support |key |youth )?workers?|advis[eo]rs?|managers?|leaders?|officers?|practitioners?|carers?|inspectors?|"
    r"visitors?|therapists?|clinicians?|nurses?|mentors?|volunteers?|ambassadors?|partners?|police|staff|teams?)\b", re.I)


# "who led…", "who else adds value…", "who did inspectors say adds value…": up to the verb asked about
WHO_LEAD = (r"(?:and\s+)?(?:who|whom)\s+(?:else\s+)?(?:there\s+)?(?:did\s+|has\s+|had\s+)?"
            r"(?:[\w'’-]+\s+(?:say|think|find|report|describe)\s+)?")
# Who a letter went to: its address block ("Eleni Ioannides … London CR0 1EA") or its "Dear …"
ASKS_RECIPIENT = re.compile(r"\b(?:sent|addressed|written|copied|send|address)\s+to\W*$|^\s*(?:and\s+)?to whom\b|\bwho\s+(?:received|got)\b", re.I)
POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b")
SALUTATION = re.compile(r"^\W*Dear\b")
WROTE = frozenset({"sign", "signed", "write", "wrote", "written", "send", "sent", "author", "authored"})
WHO_VERB = re.compile(rf"^\s*{WHO_LEAD}(?!is\b|are\b|was\b|were\b)([\w'’-]+)", re.I)


def _role_does_it(q: Question, sentence: str) -> bool:
    """A role or body doing what was asked about: "who took over?" / "the government has taken
    control"; not "who chaired the board?" / "a board, with a chair, set up by the chief executive"."""
    verb = WHO_VERB.match(q.text)
    tokens = [stem(t) for t in re.findall(r"[\w'’-]+", sentence)]
    # "who supports…?" is done by whoever helps or provides a service ("social workers in the 16+ teams provide…")
    done = {stem(verb.group(1))} if verb else set()
    serving = {stem(w) for w in SERVING}
    done |= serving if done & serving else set()
    for m in ROLE_OR_BODY.finditer(sentence):
        if not verb:
            return True  # "which councillor role…?": the role is the answer
        at = len(re.findall(r"[\w'’-]+", sentence[:m.start()]))
        if done & set(tokens[max(0, at - 4):at + 6]):
            return True
    return False


SERVING = frozenset("support help assist provide serve".split())


def has_person_name(sentence: str, common: frozenset[str] | set[str] = frozenset()) -> bool:
    """Two or more capitalised words, one of them neither a job title nor a word the
    collection also uses in lower case ("Cabinet Members" is not a person; "Tony Newman" is)."""
    for m in NAME.finditer(sentence):
        if OPENING_WORD.fullmatch(m.group(0)):
            continue  # "An Ofsted…", "In September…"
        words = [re.sub(r"['’]s$", "", w.lower()) for w in m.group(0).split()]
        if any(w not in TITLE_WORDS and stem(w) not in common for w in words):
            return True
    return False


# "when they are 18 years old", "aged 16 and over", "16- and 17-year-olds", "beyond 21", "until they turn 25"
AGE = re.compile(r"\b(?:\d{1,2}(?:\s*(?:years?|-year)[\s-]*olds?|\s*\+|\s+and\s+(?:over|above|under))|\d{1,2}-(?=\s+and\s+\d)"
                 r"|(?:aged?|ages|beyond|until|up to|over|under|turn(?:s|ing)?|reach(?:es|ing)?)\s+(?:of\s+)?\d{1,2})\b", re.I)
DURATION = re.compile(r"\b(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|twelve|eighteen)[\s-]+(?:years?|months?|weeks?|days?)\b", re.I)
MONEY = re.compile(r"£\s?\d|\$\s?\d|\b\d+(?:\.\d+)?\s?(?:million|billion|bn|m)\b|\bpounds\b", re.I)


# "How did Croydon do…?", "How are care leavers faring?": a verdict, where one was given
HOW_IT_WENT = r"\bhow (?:did|does|do|has|have|is|are|was|were) (?:[\w'’-]+ ){1,4}?(?:do|doing|done|fare|fared|faring|perform|performed)\b"


@dataclass
class Question:
    text: str
    kind: str  # who / when / duration / number / money / grade / list / compare / why / yesno / what
    years: list[int] = field(default_factory=list)
    latest: bool = False
    terms: list[str] = field(default_factory=list)  # content words, lower case
    names: list[str] = field(default_factory=list)  # capitalised words that are not sentence-initial
    focus: list[str] = field(default_factory=list)  # the words naming what is asked for: they weigh more
    focus_is_noun: bool = False  # "who is the executive mayor" (a role to match), not "who spoke"
    grade: bool = False  # asks about a grade or judgement (also inside comparisons)
    polarity: str = ""  # "negative" for "what went wrong?", "positive" for "what were the strengths?", "action" for "what steps…?"
    answered: str = ""  # in a follow-up, what the previous answer already said
    item: str = ""  # "the first one": the item of the list given before that a follow-up points at
    summary: bool = False  # asks for the bottom line: the document's own summing-up answers
    scope: bool = False  # "what did the visit look at?": what the visit says it covered answers
    method: bool = False  # "how did Ofsted gather its evidence?": what the visit says it drew on answers
    interval: tuple[str, ...] = ()  # "How long did it take to go from inadequate to good?": the two grades, in order
    about: list[str] = field(default_factory=list)  # "what about X?": X's words, which the answer's passage must hold
    second: "Question | None" = None  # "…, and when was it published?": the second question, answered too
    future: bool = False  # "when is the next inspection due?": only a plan or an expectation answers
    change: bool = False  # "are fewer children missing school than before?": a finding of change answers
    graded: list[str] = field(default_factory=list)  # "what grade did the fostering service get?": fostering
    overview: bool = False  # "What happened in 2017?": asks what the sources of a year (or about a name) tell, nothing narrower
    told: list[str] = field(default_factory=list)  # "Tell me more": the sentences already given, not to be given again
    timeline: bool = False  # "How has Croydon's grade changed over time?": the grade each source gives, oldest first
    scene: list[str] = field(default_factory=list)  # "…when Ofsted visited in 2018?": words that set the scene, not what is asked
    one: bool = False  # "Which service was under review?": one thing is asked for, told in one sentence

    @property
    def name_stems(self) -> set[str]:
        """The stems of the words of the names it gives ("Barnet's" -> barnet)."""
        return {stem(w) for n in self.names for w in content_words(n)}

    @property
    def typed(self) -> bool:
        """Questions whose answer must contain a particular kind of fact."""
        return self.kind in {"who", "when", "duration", "age", "number", "money", "grade", "entity"}


# Irregular forms the stemmer leaves apart ("who led" / "lead inspector"), and the
# words people use for an inspection verdict.
NORMALISE = {
    "led": "lead", "leading": "lead", "took": "take", "taken": "take", "began": "begin", "found": "find", "gave": "give",
    "given": "give", "left": "leave", "told": "tell", "made": "make", "wrote": "write", "written": "write",
    "grade": "grade", "graded": "grade", "grades": "grade", "grading": "grade", "gradings": "grade", "rated": "grade", "rating": "grade",
    "ratings": "grade", "judged": "grade", "judgement": "grade", "judgment": "grade", "judgements": "grade",
    "verdict": "grade", "result": "grade", "score": "grade", "scored": "grade", "effectiveness": "grade",
    "spoke": "say", "speak": "say", "spoken": "say", "said": "say", "says": "say", "saying": "say",
    "goes": "go", "went": "go", "gone": "go",
}


# Two words that mean one thing: "in place", "took place" (the place is no thing, and would match
# "well placed"); "break down" (an adoption's breakdown, not a break); "out of the ordinary" (unusual).
IDIOMS = [
    (re.compile(r"\b(in|into|take|takes|took|taken|taking) place\b", re.I), r"\1"),
    (re.compile(r"\b(?:break|breaks|breaking|broke|broken) down\b", re.I), "breakdown"),
    (re.compile(r"\bout of the ordinary\b", re.I), "unusual"),
    (re.compile(r"\blooked[- ]after\b", re.I), "in care"),  # "looked-after children" are children in care
    (re.compile(r"\bleav(?:e|es|ing)\s+care\b", re.I), "care leavers"),  # "young people leaving care" are care leavers
    (re.compile(r"\bown(?:s|ed|ing)?\s+up\b", re.I), "accept"),  # "did the council own up to its failings?"
    (re.compile(r"\bwork(?:s|ed|ing)?\s+on\b", re.I), "improve"),  # "what did Ofsted tell Croydon to work on?"
    # "do children see their social worker often?": social workers visit them
    (re.compile(r"\b(?:see|sees|saw|seen|seeing)\s+(?:their|his|her)\s+(social\s+workers?)\b", re.I), r"visited by \1"),
    (re.compile(r"\blook(?:s|ed|ing)?\s+at\b", re.I), "reviewed covered"),  # "what did the visit look at?": "Areas covered by the visit", "inspectors reviewed…"
    # "did the council challenge the verdict?": whether it accepted the findings
    (re.compile(r"\b(?:challeng|contest|disput|appeal|fight|fought)\w*\s+(?:it|them|the\s+(?:verdict|findings|judge?ment|report|rating|grade|outcome))\b", re.I),
     "accept findings"),
    # "…right about which children needed to come into care?": the thresholds for care
    (re.compile(r"\bwhich children\s+(?:\w+\s+)?need(?:s|ed)?\s+to\s+(?:come|be taken|be brought|go|be)\s+into\s+care\b", re.I),
     "thresholds for children who need to be in care"),
    # "children kept getting new social workers", "too many changes of social worker": the consistency of practitioners
    (re.compile(r"\b(?:kept|keep|keeps|keep on)\s+getting\s+new\s+social\s+workers?\b|\bchanges\s+of\s+social\s+workers?\b", re.I),
     "changes of social worker consistency practitioners turnover"),
    # "how are children in care doing at school?": their educational progress
    (re.compile(r"\b(?:doing|getting on|faring)\s+(at|in)\s+(school|education|college|work)\b", re.I), r"progress \1 \2"),
    # "what Croydon promises care leavers": the council's local offer to them
    (re.compile(r"\bwhat\s+(?:[\w'’]+\s+){0,2}(?:promises|offers|guarantees)\s+(?:them|care leavers|young people)\b", re.I), "local offer"),
    (re.compile(r"\bon board\b", re.I), "integrated"),  # "are health bodies on board?": "health partners are not fully integrated"
    (re.compile(r"\bday[- ]to[- ]day\b", re.I), "frontline"),  # "the social workers who deal with children day to day"
]


def content_words(text: str) -> list[str]:
    text = text.replace("’", "'")
    for idiom, meaning in IDIOMS:
        text = idiom.sub(meaning, text)
    return [w.lower().strip("'") for w in WORD.findall(text) if w.lower() not in STOPWORDS and len(w) > 1]


# Forms a stemmer cannot bring together; the lexical search looks for all of a group.
FORM_GROUPS = [
    {"lead", "led", "leading"}, {"say", "said", "says", "spoke", "speak", "spoken"}, {"take", "took", "taken"},
    {"find", "found"}, {"give", "gave", "given"}, {"leave", "left"}, {"tell", "told"}, {"make", "made"},
    {"begin", "began", "begun"}, {"write", "wrote", "written"}, {"go", "goes", "went", "gone"},
]


def expand_query(text: str) -> str:
    """Add the other forms of irregular words ("led" -> "lead"), so the lexical index can match them."""
    words = set(re.findall(r"[a-z]+", text.lower()))
    extra = sorted({f for g in FORM_GROUPS if g & words for f in g} - words)
    return f"{text} {' '.join(extra)}" if extra else text


@lru_cache(maxsize=16384)
def stem(word: str) -> str:
    w = word.lower()
    return NORMALISE.get(w) or snowball(w)


UNDOUBLE = re.compile(r"([bdfgmnprt])\1$")


@lru_cache(maxsize=65536)
def snowball(word: str) -> str:
    """The Snowball stem, made consistent: Snowball undoubles the consonant left by "-ing"/"-ed"
    ("staffing" -> "staf") but not the bare word ("staff"); both are undoubled here, so
    "staffing problems" finds "staff turnover". BM25 tokenises with it too."""
    return UNDOUBLE.sub(r"\1", _stemmer().stemWord(word))


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


# Words naming the kind of answer ("what grade…", "how many…"), not what it is about.
TYPE_WORDS = frozenset("long last lasted lasting period date dates year month months age old number proportion percentage share rate amount figure total many much named called mentioned listed "
                       "grade grades graded grading gradings rating ratings rated judgement judgment judgements judgments verdict score".split())
MONTH_WORDS = frozenset(
    "january february march april may june july august september october november december monday tuesday wednesday thursday friday saturday sunday".split()
)


SECOND_QUESTION = re.compile(r",?\s+and\s+(?=(?:when|who|where|which|why|how(?: many| much| long)?|what)\s+(?:is|are|was|were|did|does|do|has|have|had|will)\b)", re.I)


# "Hi, can you tell me who led the inspection?", "I'd like to know how many…": the question asked is the one inside
ASKED_INDIRECTLY = re.compile(
    r"^\s*(?:(?:hi|hello|hey)\b[\s,!.]*)?(?:(?:please\s+)?(?:(?:can|could|would)\s+you\s+(?:please\s+)?(?:tell|show)\s+me|tell\s+me|(?:(?:can|could|would)\s+you\s+(?:please\s+)?)?explain)"
    r"|i(?:['’]d|\s+would)\s+like\s+to\s+know|i\s+want\s+to\s+know|do\s+you\s+know|i\s+wonder(?:ed)?)\s*,?\s+"
    r"(?=(?:who|whom|whose|what|which|when|where|why|how)\b)", re.I)
GREETING = re.compile(r"^\s*(?:hi|hello|hey)\b[\s,!.]+(?=\w)", re.I)


def direct_question(text: str) -> str:
    """The question without a greeting or a polite frame around it ("Can you tell me who…" -> "who…")."""
    inner = ASKED_INDIRECTLY.sub("", text, count=1)
    inner = GREETING.sub("", inner, count=1)
    return inner[:1].upper() + inner[1:] if inner != text else text


# The words of a follow-up asking only whether something changed ("Has it got any better since?")
CHANGE_ONLY = re.compile(r"better|worse|improv\w*|deteriorat\w*|chang\w*|compar\w*|differ\w*|since|then|any|got|gotten|getting", re.I)


# "Are caseloads manageable?": a copula, then what it is asked of and what is asked of it
COPULA_QUESTION = re.compile(r"^\s*(?:and\s+)?(is|are|was|were)\s+(.+?)\s*[?.!]*\s*$", re.I)


def statement_of(q: Question) -> re.Pattern | None:
    """For "Are caseloads manageable (now)?", the statement it asks about: "caseloads are (still) manageable"."""
    m = COPULA_QUESTION.match(q.text.split(" (", 1)[0]) if q.kind == "yesno" else None
    words = [w for w in content_words(m.group(2)) if not LATEST_WORDS.fullmatch(w) and not YEAR.fullmatch(w)] if m else []
    if len(words) != 2:
        return None
    subject, said = (re.escape(w) for w in words)
    # in the question's tense: "ensure caseloads were manageable" does not say they are
    verb = "is|are|remains?" if m.group(1).lower() in {"is", "are"} else "was|were|remained"
    return re.compile(rf"\b{subject}\s+(?:{verb})\s+(?:\w+\s+)?{said}\b", re.I)


# "Is that high?", "Was it enough?": a judgement asked of what was just answered
JUDGES_IT = re.compile(r"^\s*(?:and\s+)?(?:is|are|was|were)\s+(?:(?:that|it|this|these|those|they)\s+)?(?:very\s+|too\s+)?"
                       r"(?:high|low|good|bad|enough|a lot|normal|typical|reasonable|manageable|unusual|usual|better|worse)\b", re.I)


def analyse(text: str, follow_up: str = "") -> Question:
    """Read a (resolved) question; `follow_up` is the user's own words when it was a follow-up."""
    q = _analyse(text)
    m = SECOND_QUESTION.search(text)
    if m and m.start() > 0:
        q.second = _analyse(text[m.end():])
    if q.kind == "entity":
        q.focus = []  # "which borough": the noun names the kind of answer, the rest says which one
    if follow_up:
        own = _analyse(follow_up)
        # "And in 2018?" asks what was asked before; "Is that high?" asks for a judgement of what was answered
        # ("Is it better now?", resolved as a comparison with now, is answered by both times)
        judged = own.kind == "yesno" and bool(JUDGES_IT.match(follow_up))
        if judged and COMPARE_WORDS.search(text):
            q.kind = "compare"  # "Is that better now?" resolved as "…in 2018, compared with now?": both times
        elif own.kind not in {"what", "yesno"} or judged:
            q.kind = own.kind
        # "And in 2024?" names no new focus: the earlier question's stays
        words = [w for w in content_words(follow_up) if w not in TYPE_WORDS and not YEAR.fullmatch(w)]
        if q.kind == "compare":  # "Is it better now?", "Did that change?": what is compared is what was asked before
            words = [w for w in words if not CHANGE_ONLY.fullmatch(w)]
        q.focus = words or q.focus
        if q.kind == "when" and not YEAR.search(follow_up):
            q.years = []  # "when did her involvement end?" asks for the time: the year talked of before is no limit
    return q


PERSON_NOUN = (r"(?:inspectors?|persons?|people|officers?|directors?|leaders?|councillors?|commissioner|chair|chief executive|"
               r"minister|mayor|managers?|members?|heads?|advisers?|workers?|lead)")


# "When Ofsted visited in 2018, were children…?", "According to the letter, did…?": the
# question is the main clause; the opening phrase only sets the scene.
SCENE_SETTING = re.compile(
    r"^\s*(?:when(?!\s+(?:is|are|was|were|did|do|does|has|have|had|will|would|can|could)\b)|while|according to|in|at|during|"
    r"after|before|since|by|on|following|back in|as of)\b[^,?]{1,80},\s*"
    r"(?=(?:is|are|was|were|did|do|does|has|have|had|can|could|will|would|should|what|who|whom|whose|which|when|where|why|how)\b)", re.I)


ORGANISATION = re.compile(r"^\s*(?:and\s+)?(?:which|what) (?:\w+ )?(borough|council|local authority|authority|organisation|organization|body|"
                          r"department|agency|charity|company)\b", re.I)


def _asks_for_organisation(text: str) -> bool:
    """"Which council…?" asks for a name; "Which Department for Education programme…?" does not:
    its capital says the department is the name already given."""
    m = ORGANISATION.search(SCENE_SETTING.sub("", text.strip()))
    return bool(m) and not m.group(1)[0].isupper()


# "What are caseloads like in 2024?": "like" frames the question, it is not what it asks about ("staff like working here")
WHAT_LIKE = re.compile(r"^\s*(?:and\s+)?(?:what|how)(?:['’]s|\s+(?:is|are|was|were|has|have|had))\b.*?\b(?<!would )(?<!'d )(?<!’d )like\b(?!\s+(?:about|working|being)\b)", re.I)


def _analyse(text: str) -> Question:
    t = text.strip()
    low = t.lower()
    main = SCENE_SETTING.sub("", low)
    years = [int(y) for y in YEAR.findall(t)]
    if re.match(r"^\s*(?:and\s+)?(why|how come)\b", main):
        kind = "why"  # "why was it rated…?" asks for a reason, not the grade
    elif re.match(r"^\s*(?:and\s+)?(?:to\s+|from\s+)?(who|whom|whose)\b", main) or re.search(
        rf"\bname of\s+(?:[\w'’-]+\s+){{0,5}}?{PERSON_NOUN}\b|{PERSON_NOUN}['’]s? name\b|^\s*(?:and\s+)?(?:which|what) {PERSON_NOUN}\b", main
    ):
        kind = "who"
    elif re.search(r"\bname of\b|\bwhat is (?:it|\w+) called\b", main):
        kind = "entity"  # "the name of the app": a name, not a person's
    elif re.search(r"\bhow much (?:money|funding|cash)\b|\bhow much (?:did|does|do|is|was|will|are|were)\b.*\b(?:cost|spend|spent|pay|paid|budget|fund|worth|invest|grant)|\bbudget\b|\bcost\b|\bspen[dt]\b(?! (?:more |less |enough |much |little )?(?:time|days?|nights?|weeks?|months?|years?))|\bfunding\b|\bsalar(?:y|ies)\b|£", main):
        kind = "money"
    elif re.search(r"\bhow (?:many|much)\b|\bnumber of\b|\bwhat (?:percentage|proportion|share|rate)\b|"
                   r"\bwhat (?:is|was|are|were) the (?:[\w'’-]+ ){0,3}?(?:rate|percentage|proportion|figure|total)\b(?! of)|\bhow (?:high|large|big)\b|\bwhat percentage\b|\baverage\b", main):
        kind = "number"
    elif re.match(r"^\s*(?:and\s+)?where\b", main) or _asks_for_organisation(t):
        kind = "entity"
    elif re.search(r"\bhow long\b|\bfor how many (?:years|months)\b|\bduration\b", main):
        kind = "duration"
    elif re.search(r"\b(?:at|from|until|till|up to|to|by) what age\b|^\s*(?:and\s+)?what age\b|\bhow old\b", main):
        kind = "age"
    elif re.search(r"^\s*(?:and\s+)?(?:(?:since|until|till|between|from)\s+)?when\b|\bwhat date\b|\bwhich (?:years?|months?|dates?|period)\b|\bwhat period\b|\bwhat year\b|\bin which month\b|(?<!up to )(?<!out of )\bdates?\b", main):
        kind = "when"
    elif COMPARE_WORDS.search(main) or len(set(years)) >= 2:
        kind = "compare"
    elif re.search(r"\b(grade[ds]?|gradings?|rated|ratings?|judge(?:d|ments?)|verdicts?|effectiveness|score[ds]?)\b|" + HOW_IT_WENT
                 # "…do in the 2024 inspection?", "…fare?": the verdict (not "how are children doing at school?")
                 + r"(?=\s*(?:[?.!—-]|$|overall\b|(?:in|at|with|from|since|during)\s+(?:[\w'’-]+\s+){0,4}?(?:inspection|visit|report|ofsted|(?:19|20)\d\d)\b))", main) or re.search(
            r"^\s*(?:and\s+)?(?:is|are|was|were)\b.*\b(?:inadequate|outstanding|requires? improvement)\b"
            # "What was the outcome in 2017?", "…the result of the 2024 inspection?": the verdict (a monitoring
            # visit gives none)
            r"|^\s*(?:and\s+)?what\s+(?:was|is|were)\s+(?:the\s+)?(?:overall\s+)?(?:outcome|result)s?"
            r"(?:\s+(?:in|of|from|for)\s+(?:the\s+)?(?:(?:19|20)\d\d(?:\s+(?:ofsted\s+)?inspection)?|(?:ofsted\s+)?inspection(?:\s+in\s+(?:19|20)\d\d)?))?\s*(?:[?.!]|$)"
            # "Did Croydon get outstanding?"
            r"|^\s*(?:and\s+)?(?:did|does|do|has|have)\b.*\b(?:get|got|receive|received|achieve|achieved|earn|earned)\s+(?:an?\s+)?['‘]?(?:inadequate|outstanding|requires? improvement)\b"
            # "Is Croydon good now?": a verdict asked for when the question ends on it (not "is the support good for…",
            # nor "were the plans any good?", which asks about their quality)
            r"|^\s*(?:and\s+)?(?:is|are|was|were)\b.*\b(?<!any\s)(?<!much\s)(?<!no\s)(?<!very\s)(?<!so\s)good(?:\s+(?:now|today|still|any ?more|in (?:19|20)\d\d))?\s*[?.!]*\s*$", main):  # "is it still inadequate?"
        # "Did any of the judgement areas fall short?": the grades, all of them
        kind = "list" if re.search(r"\b(?:judgement|judgment|graded)?\s*(?:areas|grades|ratings|judgements|judgments)\b", main) else "grade"
    elif LIST_WORDS.search(main):
        kind = "list"
    elif re.match(r"^\s*(is|are|was|were|did|does|do|has|have|had|can|could|will)\b", main):
        kind = "yesno"
    else:
        kind = "what"
    if kind in {"yesno", "what", "grade"} and len(set(years)) == 1 and SINCE_THEN.search(main):
        kind = "compare"  # "are they happier now than in 2018?": that year, and what came after
    tokens = t.split()
    names = [w.strip("?,.!;:'’\"()") for i, w in enumerate(tokens) if i > 0 and w[:1].isupper()]
    grade_asked = bool(re.search(r"\b(grad(?:e[ds]?|ings?)|rated|ratings?|judge(?:d|ments?)|verdicts?|result|outcome|effectiveness|inadequate|outstanding|good)\b", low))
    return Question(
        text=t,
        kind=kind,
        years=years,
        # "Is Croydon outstanding?": a grade asked of in the present, with no year, is the current one
        latest=bool(LATEST_WORDS.search(low)) or kind == "grade" and not years and bool(PRESENT.search(main)) and not PAST.search(main),
        # "how does that compare with 2017?": a sentence saying "compared to" is no likelier to answer
        terms=[w for w in content_words(t) if not ((kind == "compare" or len(set(years)) >= 2) and re.fullmatch(r"compar(?:e[sd]?|ison)|versus|vs", w))
               and not (w == "like" and WHAT_LIKE.search(t))],
        names=[n for n in names if n and n.lower() not in STOPWORDS and n.lower() not in MONTH_WORDS],
        focus=wh_focus(t) or (compared_subject(main) if kind == "compare" else []),
        focus_is_noun=_asks_for_role(t),
        polarity=polarity(low),
        summary=bool(ASKS_SUMMARY.search(low)),
        scope=bool(ASKS_SCOPE.search(low)),
        method=bool(ASKS_METHOD_USED.search(low)),
        interval=_interval(main) if kind == "duration" else (),
        future=bool(ASKS_FUTURE.search(low)),
        change=bool(ASKS_CHANGE.search(low)),
        grade=grade_asked,
        graded=graded_subject(t) if kind == "grade" else [],
        overview=asks_overview(t, years, names),
        # naming no year: every grade given, not one year's against now
        timeline=not years and (kind == "compare" and grade_asked or kind in {"what", "grade", "list"} and bool(TIMELINE.search(low)) and (
            grade_asked or bool(re.search(r"\b(?:ratings|judgements|judgments)\b", low)))),
        scene=scene_words(t),
        one=bool(ASKS_ONE.match(main)) and kind != "list" and not SECOND_QUESTION.search(t),
    )


# "Which Croydon service was…?", "Which area did…?": a singular noun after "which", then the verb
ASKS_ONE = re.compile(r"^\s*(?:and\s+)?which\s+(?:[\w'’-]+\s+){0,2}?[\w'’-]*[^\Ws]\s+(?:was|is|did|does|has|had)\b", re.I)


# "Did Croydon have a plan in place when Ofsted visited in October 2018?": the clause after the question says when
TRAILING_SCENE = re.compile(r",?\s+(?:when|while|at the time (?:of|when)|during)\s+(?!(?:is|are|was|were|did|do|does|has|have|had)\b)"
                            r"[^?,;]{3,60}[?.!]*\s*$"
                            # "…at the March 2019 visit?", "…in the 2017 report?": which visit, not what of it
                            r"|\s+(?:at|in|on|from)\s+(?:the|its|their|that|this|[\w’'-]+['’]s)\s+(?:[\w’'-]+\s+){0,3}?"
                            r"(?:visit|inspection|report|letter)s?[?.!]*\s*$", re.I)


# A trailing clause sets the scene when it tells of the inspection or a time ("when they hear a child may
# be suffering harm" is what is asked about)
OF_THE_INSPECTION = re.compile(rf"\b(?:(?i:visit|inspect|report|publish)\w*|(?:19|20)\d\d|{MONTHS})\b")  # "May" a month, "may" not


def scene_words(text: str) -> list[str]:
    """The words of a clause that sets the scene, before the question or after it."""
    opening = SCENE_SETTING.match(text)
    trailing = TRAILING_SCENE.search(text)
    if trailing and not OF_THE_INSPECTION.search(trailing.group(0)):
        trailing = None
    clauses = [m.group(0) for m in (opening, trailing) if m]
    return [w for c in clauses for w in content_words(c) if not YEAR.fullmatch(w)]


# "How has Croydon's grade changed over time?", "a timeline of its grades", "What grades has it had?"
TIMELINE = re.compile(r"\b(?:over (?:time|the years)|timeline|history|through the years|each (?:inspection|report|year)|every (?:inspection|report)|"
                      r"all (?:the |its |their )?(?:inspections|grades|ratings|judgements)|what (?:grades|ratings|judgements) ha(?:s|ve))\b")


# "What happened in 2017?", "Tell me about Camden": the whole story of a time or a name
ASKS_OVERVIEW = re.compile(r"^\s*(?:and\s+)?(?:please\s+)?(?:what\s+(?:happened|went\s+on|was\s+going\s+on|took\s+place|was\s+the\s+(?:story|news))|"
                           r"tell\s+me\s+(?:about|what\s+happened)|(?:give\s+me\s+)?an?\s+(?:overview|summary)\s+of|summari[sz]e|sum\s+up|"
                           r"what\s+(?:are|were)\s+the\s+(?:key|main)\s+(?:findings|points|messages)\s+(?:of|in|from))\b", re.I)
# "Summarise the 2018 letter": the words of such a question that name no subject narrower than a document
DOCUMENT_NOUNS = frozenset("report letter article news document paper".split())
OVERVIEW_WORDS = frozenset("happened going went took place story news tell overview summary summarise summarize sum "
                           "key main findings points messages".split()) | DOCUMENT_NOUNS


# "What are these documents about?", "Give me an overview": what the collection's documents are about
ASKS_COLLECTION = re.compile(r"^\s*(?:(?:please\s+)?give\s+me\s+an\s+overview|tell\s+me\s+everything|"
                             r"what\s+(?:are|is)\s+(?:(?:these|the|your)\s+(?:documents|files|reports|sources)|(?:this|the|your)\s+collection)\s+about|"
                             r"what(?:['’]s|\s+is)\s+in\s+(?:this|the|your)\s+(?:collection|documents?))\s*[?.!]*\s*$", re.I)


def asks_overview(text: str, years: list[int], names: list[str]) -> bool:
    """Asks what happened and names nothing narrower than a year or a name ("…in 2017?", "…with Camden?"),
    or what the whole collection is about."""
    if ASKS_COLLECTION.match(text):
        return True
    if not ASKS_OVERVIEW.match(text) or not (years or names):
        return False
    named = {w.lower() for n in names for w in content_words(n)}
    return all(YEAR.fullmatch(w) or w in MONTH_WORDS or w in OVERVIEW_WORDS or w in named for w in content_words(text))


PRESENT = re.compile(r"\b(?:is|are|does|do|has|have)\b", re.I)
PAST = re.compile(r"\b(?:was|were|did|had|been)\b", re.I)


# What a grade question asks the grade of: "what grade did <the fostering service> get…",
# "how was <help and protection> judged…", "what was <Camden>'s rating…"
GRADED = re.compile(
    r"^\s*(?:and\s+)?(?:what|which)\s+(?:overall\s+)?(?:grade|rating|judgement|judgment|score)\s+(?:did|does|has|had|was)\s+(.+?)\s+"
    r"(?:get|receive|achieve|have|given|awarded)\b"
    r"|^\s*(?:and\s+)?how\s+(?:is|are|was|were|did|does|do|has|have)\s+(.+?)\s+(?:rated|judged|graded|score|scored|do|doing|fare|fared|faring|perform|performed)\b"
    r"|^\s*(?:and\s+)?what\s+(?:was|is)\s+(.+?)['’]s?\s+(?:ofsted\s+)?(?:grade|rating|judgement)\b", re.I)


def graded_subject(text: str) -> list[str]:
    """The words of what a grade is asked for, less the names and the words every area's grade uses."""
    m = GRADED.search(text)
    if not m:
        return []
    phrase = next(g for g in m.groups() if g)
    tokens = phrase.split()
    capital = [w[:1].isupper() for w in tokens]
    # "Croydon's", "Camden", "Kingston upon Thames": names, checked apart
    lower = " ".join(w for i, w in enumerate(tokens)
                     if not capital[i] and not (0 < i < len(tokens) - 1 and capital[i - 1] and capital[i + 1]))
    words = [re.sub(r"'s$", "", w) for w in content_words(lower)]
    return [w for w in words if w not in AREA_WORDS and w not in TYPE_WORDS]


# "What goes wrong…", "what happens if…": a verb after "what", not the thing asked for
VERB_AFTER_WHAT = (r"(?:goes|went|happens?|happened|makes?|made|helps?|helped|causes?|caused|needs?|works?|worked|changed?|"
                   r"matters?|counts?|comes?|came|stands?|stood|led|leads?|lies|remains?|remained)\b")
WH_PHRASE = re.compile(
    r"^\s*(?:(?:what|which)\s+(?:is|was|are|were)\s+the\s+([\w'’-]+(?:\s+[\w'’-]+){0,3}?)(?=\s+(?:in|of|for|at|on|by|from|during|after|before|since|that|who|which|when)\b|\s*\?|$)"
    r"|(?:which|what)\s+(?!" + VERB_AFTER_WHAT + r")((?:[\w'’-]+\s+){0,3}?)(?:is|are|was|were|did|do|does|has|have|had|will|would|can|could|should)\b"
    r"|(?:and\s+)?(?:who|whom)\s+(?:is|are|was|were)\s+((?:[\w'’-]+\s*){1,4})"
    r"|" + WHO_LEAD + r"([\w'’-]+)"
    r"|(?:the )?name of\s+((?:[\w'’-]+\s*){1,4})"
    r"|how many\s+((?:[\w'’-]+\s+){0,3}?[\w'’-]+)(?=\s+(?:is|are|was|were|did|do|does|has|have|had|will|would|can|could|in|on|at|of|for)\b|\s*\?|$)"
    r"|how many\s+((?:[\w'’-]+\s*){1,2})"
    r"|(?:what|which)\s+(?!" + VERB_AFTER_WHAT + r")([\w'’-]+))",
    re.I,
)


# Nouns that name a relation to something else, which the question names after "of".
RELATION_NOUN = r"(?:role|purpose|aim|job|function|remit|size|scale|impact|effect|outcome|result|cause|focus|scope|status|quality|cost|level|rate|percentage|proportion|share|number|total)"

CHANGE_SUBJECT = re.compile(
    r"^\s*(?:and\s+)?how\s+(?:has|have|had|did|does|do)\s+(.+?)\s+(?:changed?|compared?|improved?|developed?|moved?|shifted|evolved?|progressed?|differ(?:ed)?)\b", re.I)


def wh_focus(text: str) -> list[str]:
    """The words naming what is asked for: "which inspectors…", "who led…", "how many escalations…".
    The rest of a question usually sets the scene, which every passage on the topic shares."""
    named = re.search(r"\bname of\s+((?:[\w'’-]+\s*){1,4})", text, re.I)
    if named:
        return [w for w in content_words(named.group(1)) if w not in TYPE_WORDS]
    share = re.search(r"\b(?:what|which) (?:percentage|proportion|share|number) of\s+([\w'’-]+(?:\s+[\w'’-]+){0,3}?)(?=\s+(?:are|is|were|was|have|has|had|did|do|does|in|on|at|who|that)\b|\s*\?|$)", text, re.I)
    if share:  # "what percentage of care leavers are…": a share of care leavers
        return [w for w in content_words(share.group(1)) if w not in TYPE_WORDS]
    relation = re.match(r"^\s*(?:and\s+)?(?:what|which)\s+(?:is|was|are|were)\s+the\s+(" + RELATION_NOUN + r")\s+of\s+(?:the\s+|its\s+|their\s+)?"
                        r"([\w'’-]+(?:\s+[\w'’-]+){0,3}?)(?=\s+(?:in|at|on|for|by|from|during|after|before|since|that|who|which|when)\b|\s*\?|$)", text, re.I)
    if relation:  # "what is the role of the improvement board?": a role, and whose says which
        return [w for w in content_words(f"{relation.group(1)} {relation.group(2)}") if w not in TYPE_WORDS]
    changed = CHANGE_SUBJECT.match(text)
    if changed:  # "how has management oversight changed…": what changed is what is asked about
        return [w for w in content_words(changed.group(1)) if w not in TYPE_WORDS]
    # "On average, how many weeks…": a count asked for after an opening phrase
    opening = re.match(r"[^,?]{1,40},\s*(?=how (?:many|much)\b)", text, re.I)
    m = WH_PHRASE.match(text) or (WH_PHRASE.match(text[opening.end():]) if opening else None)
    phrase = next((g for g in m.groups() if g), "") if m else ""
    asked = [w for w in content_words(phrase) if w not in TYPE_WORDS]
    about = SAID_ABOUT.search(text) if not asked else None
    if about:  # "What did Ofsted say about private fostering in 2024?": what it was said of (not whose it is)
        return [w for w in content_words(re.sub(r"\b[A-Z][\w-]*(?:['’]s)?\b", " ", about.group(1))) if w not in TYPE_WORDS]
    return asked


# "…say about X", "…think of X", "…make of X": X (up to four words) is what is asked about; the rest sets the scene
SAID_ABOUT = re.compile(r"\b(?:say|said|says|think|thought|thinks|make|made|feel|felt|views?|opinion|comment|commented|"
                        r"reported|write|wrote|note|noted)\s+(?:[\w'’-]+\s+){0,2}?(?:about|of|on|regarding)\s+"
                        r"(?:the\s+|its\s+|their\s+)?([\w'’-]+(?:\s+[\w'’-]+){0,3}?)"
                        r"(?=\s+(?:in|at|on|during|when|after|before|since|by|from|compared|and|or)\b|\s*[?,.]|$)", re.I)


# What a comparison is about comes before what it is compared with: "has accommodation for care
# leavers got better since 2018?" compares accommodation, not betterment.
COMPARED_WITH = re.compile(r"\b(?:since|than|now|still|compared?|comparison|between|versus|vs|back in)\b", re.I)
CHANGE_VERBS = frozenset("got get getting become became changed change moved improved improve better worse "
                         "worsened declined developed differ different".split())


def compared_subject(main: str) -> list[str]:
    head = re.sub(r"^\s*(?:and\s+)?(?:has|have|had|is|are|was|were|did|do|does|how)\s+", "", main)
    m = COMPARED_WITH.search(head)
    return [w for w in content_words(head[: m.start()] if m else head)
            if w not in CHANGE_VERBS and w not in TYPE_WORDS and not YEAR.fullmatch(w)]


# Questions after what went wrong or well, and the words findings of each kind are written in.
TOO = r"too (?:many|much|few|little|long|slow|high|low|thin)"  # "too many young people": the fault asked about, named
ASKS_NEGATIVE = re.compile(
    r"\b(wrong|problems?|weak(?:ness(?:es)?|est|er)?|flaws?|faults?|downsides?|drawbacks?|negatives?|"
    r"concerns?|concerned|worr(?:y|ies|ied)|criticis\w*|failings?|failures?|"
    r"shortcomings?|deficienc\w*|fall(?:s|ing)? short|fell short|poor(?:ly)?|gaps?|risks?|challenges?|difficult(?:y|ies)|"
    r"inadequate|requires? improvement|not (?:rated |judged )?good|worse|declin\w*|deteriorat\w*|"
    r"(?:hold|holds|holding|held) (?:\w+ )?back|hinder\w*|obstacles?|barriers?|struggl\w*|"
    rf"{TOO})\b", re.I)
ASKS_POSITIVE = re.compile(
    r"\b(positives?|strengths?|upsides?|bright spots?|plus points?|strong(?:est)?|went well|praised?|good practice|"
    r"successes|successful|achievements?|(?:anything|something|much) (?:good|positive|nice|favourable) to say|good news|"
    r"improvements? (?:made|seen)|encouraging|welcomed?)\b", re.I)
NEGATIVE = re.compile(
    rf"\b(not|no|never|lack\w*|insufficient\w*|inconsistent\w*|weak\w*|poor\w*|{TOO}|"
    r"delay\w*|drift|slow\w*|fail\w*|inadequate|concern\w*|barrier\w*|unable|limited|variable|shortage\w*|inappropriate\w*|unsuitable|inhibit\w*|hamper\w*|hinder\w*|imped\w*|undermin\w*|"
    r"ineffective|unsafe|worr\w*|high (?:caseloads|workloads|turnover)|(?:workloads|caseloads|turnover) (?:are|is|was|were) high|"
    r"deteriorat\w*|serious|widespread|vulnerable|instability|unsettled|unclear|unmet|gaps?|yet to)\b", re.I)
POSITIVE = re.compile(
    # "areas for improvement", "needs to improve", "requires improvement" find a fault, not a strength
    r"\b(strong\w*|strengths?|good|effective\w*|(?<!for )(?<!to )(?<!requires )(?<!require )improv\w*|impressed|commit\w*|positive\w*|well[- ]\w+|praise\w*|encourag\w*|"
    r"excellent|outstanding|success\w*|progress\w*|better|skilled|robust|thorough|creative|innovative|confident\w*)\b", re.I)


# "What was the bottom line?" is answered by the document's own summing-up.
ASKS_SUMMARY = re.compile(
    r"\b(bottom line|in summary|sum(?:mary|marise|marize|med up)|gist|takeaway|key message|main (?:finding|message|conclusion|point)s?|"
    r"overall (?:message|conclusion|finding|view|picture|assessment)|conclu(?:de|ded|sion|sions))\b", re.I)
SUMMING_UP = re.compile(r"^\W*(?:in summary|overall|in conclusion|to summari[sz]e|in short|in sum|taken together|in brief)\b", re.I)

# "How long did it take Croydon to go from being rated inadequate back to a good rating?", "…from inadequate to good?"
INTERVAL = re.compile(rf"\bfrom\s+(?:being\s+)?(?:(?:rated|judged|graded)\s+)?(?:as\s+)?['‘]?({_GRADE})['’]?"
                      rf"(?:\s+[\w'’-]+){{0,3}}?\s+(?:back\s+)?(?:to|until|till)\s+(?:being\s+)?(?:an?\s+)?(?:(?:rated|judged|graded)\s+)?(?:as\s+)?['‘]?({_GRADE})\b", re.I)


def _interval(low: str) -> tuple[str, ...]:
    m = INTERVAL.search(low)
    return tuple(grade_name(g) for g in m.groups()) if m else ()


def grade_name(grade: str) -> str:
    """"Requires improvement to be good" -> "require improvement": one name for each grade, however written."""
    return grade.lower().replace("requires", "require").split(" to ")[0]


# "What did the October 2018 visit look at?", "What was the focus of the inspection?": what it set out to cover,
# which a visit's letter says of itself ("During this visit, inspectors reviewed the progress made for…").
ASKS_SCOPE = re.compile(
    r"\b(?:what|which)\b[^?]*\b(?:visit|inspection|inspectors?|ofsted|report)\b[^?]*\b(?:look(?:ed)?\s+at|focus(?:ed|sed)?\s+on|"
    r"cover(?:ed)?|review(?:ed)?|examine[d]?|evaluate[d]?|concentrate[d]?\s+on)\W*$"
    r"|\b(?:focus|scope|remit)\s+of\s+(?:the|this|that|its)\b[^?]*\b(?:visit|inspection)\b", re.I)
SCOPE = re.compile(r"\b(?:inspectors\s+(?:reviewed|looked\s+at|evaluated|focused\s+on|focussed\s+on)|areas\s+covered|"
                   r"(?:visit|inspection|report)\s+(?:focused|focussed|looked|concentrated)\s+(?:on|at)|focus(?:s)?ing\s+on)\b", re.I)

# "How did Ofsted gather its evidence on the visit?", "What sources of evidence did inspectors draw on?": what
# the visit's account of itself says was done ("…which took in both casework reviews and interviews")
ASKS_METHOD_USED = re.compile(r"\bhow\s+(?:did|does|do|was|were)\s+(?:ofsted|(?:the\s+)?inspectors?|the\s+(?:inspection|visit))\b[^?]*"
                              r"\b(?:gather\w*|collect\w*|evidence|carr(?:y|ied)\s+out|conduct\w*|go\s+about)\b"
                              r"|\b(?:what|which)\s+(?:sources|kinds?|types?)\s+of\s+evidence\b"
                              r"|\bwhat\s+evidence\s+(?:did|do|does|was|were)\b[^?]*\b(?:use|consider|draw|gather|collect|look|review)\w*", re.I)
EVIDENCE_SAID = re.compile(r"\ba range of evidence\b|\bevidence (?:was|were) (?:considered|gathered|reviewed|collected)\b|"
                           r"\b(?:we|inspectors) (?:also )?(?:considered|met|spoke)\b|"
                           r"\b(?:took in|drew on|included|involved)\b[^.;]{0,40}\b(?:case ?work|case records?|case files?|interviews?|meetings?|audits?)\b", re.I)


ASKS_FUTURE = re.compile(r"\b(?:next(?!\s*(?:[?.!]|$|in\s+(?:19|20)\d\d))|upcoming|forthcoming|will\s+(?:\w+\s+)?(?:be|get|have|take|happen|start|end)|(?:is|are)\s+(?:\w+\s+){0,6}?due"
                         r"|(?:is|are)\s+(?:[\w'’]+\s+){1,3}?(?:planning|intending|going)\s+to)\b", re.I)
FUTURE = re.compile(r"\b(?:will|shall|next|due|planned|plans? to|planning to|expected|scheduled|intends?|going to|upcoming|forthcoming|future)\b", re.I)


# "Has it improved?", "Are fewer children missing school than at the last inspection?"
ASKS_CHANGE = re.compile(
    r"\b(?:improved?|got (?:better|worse)|(?:better|worse|fewer|more|less) (?:\w+ ){0,4}?than|still|any longer|no longer|"
    r"(?:reduced|increased|declined|risen|fallen|grown|moved on)|since (?:the )?(?:last|previous|\d{4}))\b", re.I)
CHANGE = re.compile(
    r"\b(?:improv\w*|better|worse|reduc\w*|increas\w*|declin\w*|deteriorat\w*|fewer|no longer|still|remain\w*|"
    r"since (?:the )?(?:last|previous)|progress\w*|strengthen\w*|now|continu\w*|historically|previously)\b", re.I)


# One year set against what came after it: "since 2018", "back in 2018, and do they now?"
SINCE_THEN = re.compile(
    r"\bsince\s+(?:[\w'’-]+\s+){0,5}?(?:19|20)\d\d\b|\b(?:now|today|these days|nowadays|any (?:more|longer)|no longer)\b"
    r"|\bstill\b.*\b(?:as|like)\s+(?:(?:it|they|he|she)\s+)?(?:was|were|did|had)?\s*(?:back\s+)?in\s+(?:19|20)\d\d\b", re.I)


# "What steps did the council take?" is answered by something done or planned.
ASKS_ACTION = re.compile(r"\b(steps|actions?|measures|what (?:did|has|have|will) (?:\w+ ){1,4}do|respon(?:d|ded|se)|"
                         r"(?:done|do|doing) (?:anything|something|much)|being done|what (?:are|is|were|was) (?:[\w'’]+ ){1,4}doing)\b", re.I)
ACTION = re.compile(
    r"\b(?:has|have|had|is|are|was|were)\s+(?:\w+\s+)?(?:been\s+)?(?:set up|appointed|launched|created|introduced|recruited|"
    r"invested|established|commissioned|started|begun|developed|implemented|put in place|reviewing|taking|working|refreshed|"
    r"reviewed|strengthened|increased|reduced|agreed|identified|allocated|provided|secured|funded|added)\b|\b(?:will|plans? to|intends? to|is to|are to)\s+\w+", re.I)


# What a sentence says when it finds what a question of each polarity asks for
FINDS = {"negative": NEGATIVE, "positive": POSITIVE, "action": ACTION}


def polar_terms(q: Question) -> set[str]:
    """The words of a question that asks little more than for faults or strengths ("What went wrong
    in 2017?", "What were the weaknesses?"): the words that ask for them. A question that names its
    subject ("what positives about the monitoring visit…") is matched on that instead."""
    polar, rest = _polar_parts(q)
    return {stem(t) for t in polar} if len(rest) <= 1 else set()


def _polar_parts(q: Question) -> tuple[set[str], set[str]]:
    """A question's words that ask for faults (or strengths), and the rest, less its names and years."""
    asks = {"negative": ASKS_NEGATIVE, "positive": ASKS_POSITIVE}.get(q.polarity)
    if asks is None:
        return set(), set()
    polar = {t for t in q.terms if asks.fullmatch(t)}
    named = {w.lower() for n in q.names for w in n.split()}
    return polar, {t for t in q.terms if t not in polar and t not in named and not YEAR.fullmatch(t)}


# A report's own list of its faults or strengths, by its heading or lead-in ("What needs to improve?",
# "Inspectors made four recommendations for improvement:", "A number of strengths were identified:")
LISTS_POLARITY = {
    "negative": re.compile(r"\b(?:needs? to improve|areas? (?:for|of) (?:improvement|development)|recommendations? for improvement|"
                           r"weaknesses|shortcomings)\b", re.I),
    "positive": re.compile(r"\b(?:strengths|what (?:is|are) working well|good practice)\b", re.I),
}


# Searched for too when a question asks little more than for faults (or strengths): the words of those lists' headings
LIST_SEARCH_WORDS = {"negative": "what needs to improve areas for improvement", "positive": "strengths"}


# Words that ask for nothing more than the faults found: "What main problems did inspectors find?"
FOUND_WORDS = frozenset(stem(w) for w in "find found identify identified see saw seen note noted highlight highlighted raise raised "
                        "point pick picked main key biggest major report inspection inspectors say said go went well".split())


def asks_polar_list(q: Question) -> bool:
    """"What went wrong?", "What problems did inspectors find?": the faults (or strengths) found, of nothing
    named, are asked for, and a report's own list of them answers (not "What's the out-of-hours problem?",
    nor "Is it still inadequate?", which asks for a grade)."""
    if q.kind not in {"what", "list"} or q.polarity not in LISTS_POLARITY:
        return False
    _, rest = _polar_parts(q)
    return {stem(t) for t in rest} <= FOUND_WORDS


def polar_list_heading(q: Question) -> re.Pattern | None:
    """What the heading or lead-in of the list a question asking for faults (or strengths) asks for says."""
    return LISTS_POLARITY[q.polarity] if asks_polar_list(q) else None


def finds_polarity(q: Question, sentence: str) -> bool:
    """The sentence finds the kind of thing asked for: a fault for "what went wrong?". A grade
    ("Children in care: Good") judges; it finds no strength or fault."""
    says = FINDS.get(q.polarity)
    return says is not None and says.search(sentence) is not None and not GRADE_STATEMENT.search(sentence)


def polarity(low: str) -> str:
    if ASKS_ACTION.search(low):
        return "action"
    if ASKS_NEGATIVE.search(low):
        return "negative"
    if ASKS_POSITIVE.search(low):
        return "positive"
    return ""


CAUSE = re.compile(r"\b(because|due to|as a result|owing to|caused|(?:has|have|had) enabled|thanks to|contribut(?:ed|es|ing) to|driven by|underpinned by|reflect(?:s|ed)?|"
                   # (not "since": in reports it tells a time, "since the last inspection", "since it was rated")
                   r"led to|means that|meant|"
                   # a condition is a reason: "…must be good for overall effectiveness to be judged good"
                   r"(?:must|has to|have to|needs? to) be\b[^.;]{0,60}?\bfor\b[^.;]{1,60}?\bto be|required for|a condition of)\b", re.I)


# Why something was done: "…has been set up by the chief executive to oversee…", "…was undertaken to ensure…"
PURPOSE = re.compile(r"\b(?:so that|so as to|in order (?:to|for)|(?:set up|created|established|appointed|launched|introduced|undertaken|done|"
                     r"carried out|chosen|made|agreed)\b[^.;]{0,40}?\bto (?:ensure|oversee|support|help|improve|reduce|increase|provide|"
                     r"deliver|address|tackle|drive|strengthen|bring))\b", re.I)


def new_proper_nouns(asked_names: list[str], sentence: str) -> list[str]:
    """The capitalised names in the sentence (not its first word, nor a month) that the question did not already say."""
    asked = {n.lower() for n in asked_names}
    words = re.findall(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]{2,}\b", sentence)
    return [w for w in words if w.lower() not in asked and w.lower() not in TITLE_WORDS and w.lower() not in MONTH_WORDS]


PARTICIPLE = re.compile(r"(?:\w+ed|given|sent|made|told|led|chosen|taken|known|seen|put|set|left|paid|held|brought|shown|written)\b", re.I)


def _asks_for_role(text: str) -> bool:
    """"Who is Croydon's executive mayor?" names a role the answer must hold; "who was it sent to?" does not."""
    m = re.match(r"^\s*(?:and\s+)?(?:who|whom)\s+(?:is|are|was|were)\s+(.+?)\s*\??$", text, re.I) or re.search(
        r"\bname of\s+(.+?)\s*\??$", text, re.I)
    if not m:
        return False
    if PARTICIPLE.match(m.group(1)):
        return False  # "who was given feedback?", "who was appointed?": a verb, not a role
    last = m.group(1).split()[-1].lower()
    return last not in {"to", "by", "for", "with", "from", "about", "in", "on", "at"} and not last.endswith("ed")


# "…assistance from good-rated Camden": a grade said in passing of a place, not a verdict on the
# question's subject unless the question asks for that place's grade ("Camden's rating")
GRADE_OF_NAMED = re.compile(rf"\b(?i:{_GRADE})[- ]rated\s+([A-Z][a-z]+)")
SHORT_GRADE_LINE = 20  # words: "Overall effectiveness – 'Good'" says its grade at a glance
ASKED_GRADE = re.compile(rf"^\s*(?:and\s+)?(?:is|are|was|were|has|have|does|did)\b(?!.*\b(?:short of|than|below|above|beyond|not|any|since|after|before|until|when)\b).*?\b({_GRADE})\b", re.I)


def grade_statements(question: str, sentence: str) -> list[re.Match]:
    """The sentence's statements of a grade, less those of a place the question does not ask about."""
    owners = {m.group(1).lower() for m in re.finditer(r"\b([A-Z][a-z]+)['’]s\b", question)}  # "Camden's rating"
    elsewhere = [m.span() for m in GRADE_OF_NAMED.finditer(sentence) if m.group(1).lower() not in owners]
    return [m for m in GRADE_STATEMENT.finditer(sentence) if not any(a <= m.start() < b for a, b in elsewhere)]


def grade_verdict(question: str, sentence: str) -> str:
    """The grade answer in a word or two, to put before the sentence that states it: "Yes" or "No"
    to "Is it still rated inadequate?", or the grade for "What grade…?" when a long sentence states
    exactly one (a reader should not have to dig 'good' out of 60 words); "" otherwise."""
    stated = [GRADE_WORDS.search(m.group(0)) for m in grade_statements(question, sentence)]
    grades = {grade_name(g.group(0)) for g in stated if g}
    if not grades:
        return ""
    asked = ASKED_GRADE.search(question)
    if asked:
        first = next(g for g in stated if g).group(0)
        return "Yes" if first.lower().split()[0] == asked.group(1).lower().split()[0] else "No"
    # "Which parts were rated inadequate?" names the grade: what it asks for is something else
    if len(grades) == 1 and len(sentence.split()) > SHORT_GRADE_LINE and not GRADE_WORDS.search(question):
        grade = grades.pop()
        return "Requires improvement to be good" if grade.startswith("require") else grade.capitalize()
    return ""


# A grade given at an earlier inspection, told in passing by a later report.
PAST_GRADE = re.compile(
    r"\b(?:last|previous|prior|earlier)\s+(?:ofsted\s+)?(?:inspection|judgement|judgment)\b[^.;]{0,120}?\b(?:judged|rated|graded)\b"
    r"|\b(?:judged|rated|graded)\b[^.;]{0,40}?\b(?:at|in|by) the (?:last|previous|prior) (?:ofsted )?inspection"
    r"|\b(?:inspection in|since) (?:\w+ )?(?:19|20)\d\d,? when\b[^.;]{0,100}?\b(?:judged|rated|graded)\b", re.I)
# The area a grade is given to: "The graded judgement for adoption performance is…", "Children in care – Good"
GRADED_AREA = re.compile(rf"^\W*(?:the )?graded judgement (?:for|about) (.+?) is\b|^\W*([^:–\n]{{3,120}}?)\s*(?:[:–]|\s-\s)\s*['‘’\"]?{_GRADE}\b", re.I)
AREA_WORDS = frozenset("experience experiences progress judgement graded grade impact quality effectiveness service services "
                       "children young people local authority the of and for in".split())


def _grades_another_area(q: Question, sentence: str) -> bool:
    """A grade for one area (adoption, children in care) when the question names none of its words."""
    m = GRADED_AREA.match(sentence)
    if not m or re.search(r"\boverall\b", m.group(0), re.I):
        return False
    asked = {stem(w) for w in q.terms}
    area = {stem(w) for w in content_words(m.group(1) or m.group(2)) if w not in AREA_WORDS}
    return bool(area - asked)


DEPUTY = r"(?:deputy|assistant|vice)"
SECOND_IN_COMMAND = re.compile(rf"^\W*(?:the\s+)?{DEPUTY}[- ]", re.I)  # "Deputy lead inspector: …"


RELATIVE_TIME = re.compile(r"\b(?:last|previous|this|next|the following|the same) (?:year|month|week|spring|summer|autumn|winter)\b|"
                           r"\b(?:a|one|two|three|\d+) (?:years?|months?|weeks?) (?:ago|earlier|before|later)\b|\bthe year before\b", re.I)
TIED_TO_EVENT = re.compile(r"\b(?:with the|when|after|following|once|until|upon|as soon as|by the time)\b", re.I)


def answer_type_score(q: Question, sentence: str, common: frozenset[str] | set[str] = frozenset()) -> float:
    """1.0 when the sentence holds the kind of thing asked for, 0.0 when it plainly does not."""
    if q.kind == "who":
        if SECOND_IN_COMMAND.match(sentence) and not re.search(rf"\b{DEPUTY}\b", q.text, re.I):
            return 0.5  # "Deputy lead inspector: …" did not lead; asked who led, the lead inspector answers
        if ASKS_RECIPIENT.search(q.text):  # "Who was the letter sent to?": the one it is addressed to
            return 1.0 if (POSTCODE.search(sentence) or SALUTATION.match(sentence)) and has_person_name(sentence, common) else 0.5
        if has_person_name(sentence, common):
            # "who led the visit?": a name beside the verb asked about beats a name elsewhere
            verb = WHO_VERB.match(q.text)
            # who wrote a letter signs it ("Yours sincerely, Louise Hocking"); a sign-off answers nothing else
            wrote = bool(verb) and verb.group(1).lower() in WROTE and not re.search(r"\bto\W*$", q.text)
            if SIGN_OFF.match(sentence):
                return 1.0 if wrote else 0.5
            if verb and stem(verb.group(1)) not in {stem(w) for w in re.findall(r"[\w'’-]+", sentence)}:
                return 0.5 if wrote else 0.8
            return 1.0
        # Roles and bodies answer "who was given feedback?", "who took over?", but not "who is the mayor?"
        if q.focus_is_noun:
            return 0.0
        named = any(not OPENING_WORD.fullmatch(m.group(0)) for m in NAME.finditer(sentence))
        return 0.7 if named or _role_does_it(q, sentence) else 0.0
    if q.kind == "when":
        dates = [m.group(0) for m in DATE.finditer(sentence)]
        if dates and all(d.isdigit() and int(d) in q.years for d in dates):
            return 0.3  # "…between the 2020 and 2024 inspections?": the years it gives are not the time asked for
        event = {stem(f) for f in q.focus}  # the words for what happened ("involvement", "end"), if any
        said = {stem(w) for w in re.findall(r"[\w'’-]+", sentence)}
        if dates:
            return 0.5 if event and not event & said else 1.0  # a date, but of something else
        if re.search(rf"\b{MONTHS}\b", sentence) or RELATIVE_TIME.search(sentence):
            return 0.7  # "in December", "last year": a time, whose year the answer's source gives
        # "When did her involvement end?" / "…involvement will end with the new order": the time is an event
        return 0.7 if event and event <= said and TIED_TO_EVENT.search(sentence) else 0.0
    if q.kind == "age":
        return 1.0 if AGE.search(sentence) else 0.0
    if q.kind == "duration":
        return 1.0 if DURATION.search(sentence) else 0.0
    if q.kind == "number":
        if ASKS_SHARE.search(q.text):  # "what percentage…?": a share, not any figure
            return 1.0 if SHARE.search(sentence) else 0.0
        return 1.0 if any(m.group(0).lower() != "one" for m in NUMBER.finditer(_without_years(sentence))) else 0.0
    if q.kind == "money":
        return 1.0 if MONEY.search(sentence) else 0.0
    if q.kind == "grade":
        if not grade_statements(q.text, sentence):  # none, or only another place's ("good-rated Camden")
            return 0.3 if GRADE_WORDS.search(sentence) else 0.0
        if PAST_GRADE.search(sentence) and not set(q.years) & {int(y) for y in YEAR.findall(sentence)}:
            return 0.3  # "…since the last inspection in 2017, when they were judged good": an earlier grade
        return 0.7 if _grades_another_area(q, sentence) else 1.0
    if q.kind == "entity":
        return 1.0 if new_proper_nouns(q.names, sentence) else 0.0
    if q.kind == "why":
        # a purpose says why something was done, not why a grade was given
        if CAUSE.search(sentence) or not q.grade and PURPOSE.search(sentence):
            return 1.0
        # "Why was it not rated good?": the faults found are the reasons
        return 0.7 if q.polarity == "negative" and NEGATIVE.search(sentence) else 0.4
    if q.summary and q.kind in {"what", "yesno"}:
        return 1.0 if SUMMING_UP.search(sentence) else 0.3
    if q.scope and q.kind in {"what", "list"}:
        return 1.0 if SCOPE.search(sentence) else 0.3
    if q.method and q.kind in {"what", "list"}:
        return 1.0 if EVIDENCE_SAID.search(sentence) else 0.3
    if q.change and not q.polarity and q.kind in {"what", "yesno"}:
        return 0.8 if CHANGE.search(sentence) else 0.3
    if q.polarity and q.kind in {"what", "list", "yesno"}:
        # "What went wrong?" is answered by a finding of a fault, not by a neutral or happy one.
        too = re.search(TOO, q.text, re.I)
        if too and too.group(0).lower() in sentence.lower():
            return 1.0  # "…too many care leavers each?": "…responsibility for too many young people"
        found = FINDS[q.polarity].search(sentence)
        if found and q.polarity == "positive" and NEGATIVE.search(sentence):
            return 0.6  # "…more effective challenge, although this had not had sufficient impact": praise, half taken back
        return 0.8 if found else 0.3
    if q.kind == "compare":
        if q.grade:
            return 1.0 if GRADE_STATEMENT.search(sentence) else 0.3 if GRADE_WORDS.search(sentence) else 0.0
        return 0.5
    return 0.5


ASKS_SHARE = re.compile(r"\b(?:percentage|proportion|per ?cent|what share|how many out of)\b|%", re.I)
SHARE = re.compile(r"\d\s*%|\b\d+(?:\.\d+)?\s*(?:per ?cent|percent)\b|\b(?:half|quarter|third|fifth|tenth)s?\b|\b\d+ (?:in|out of) (?:every )?\d+\b", re.I)
YEAR_SPAN = re.compile(r"\b(?:19|20)\d\d\s*[/–-]\s*\d{2,4}\b")


# "1 The areas for improvement have been…", "3. Children…": a footnote or item mark, not a figure
MARK = re.compile(r"^\W*\d{1,2}[.)]?\s+(?=[A-Z])")


# "…is included at appendix 1", "see paragraph 4.16": where to look, not a figure
REFERENCE_NUMBER = re.compile(r"\b(?:appendix|appendices|annex|section|page|paragraph|para|item|table|figure)\s+\d+(?:\.\d+)*[a-z]?\b", re.I)


def _without_years(text: str) -> str:
    """The text less its dates, year spans, references and opening mark: what is left holds its figures."""
    return DATE.sub(" ", YEAR_SPAN.sub(" ", REFERENCE_NUMBER.sub(" ", MARK.sub(" ", text))))
