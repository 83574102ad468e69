"""The London set: overall grades and lead inspectors of 101 Ofsted reports, asked of the
`ofsted-london` collection, scored on the answer *and* the report and page it cites.

    python -m evals.london build   [--data DIR] [--out FILE]     # writes evals/london_dev.jsonl
    python -m evals.london score   [--set FILE] [--limit N] [--kind grade|lead] [--out DIR]

`build` reads every report with the assistant's own PDF loader and takes the gold answer from
the report itself, where a reader finds it:

- lead inspector: the "Lead inspector: <name>" line (page 1 of ILACS reports since 2018, the
  "inspection team" section at the back of the 2013-2018 single inspection framework reports);
- overall grade: "Overall effectiveness: <grade>" on page 1 (ILACS), "The overall judgement is
  <grade>" on page 1 (SIF 2013-2015), or the page-1 heading "Children's services in <borough>
  are <grade>" (SIF 2015-2018). Reports of 2026's reformed framework give no overall grade: no
  grade question is asked of them.

`inspections.csv` (a third-party scrape) is then checked against the reports and every
disagreement printed; the CSV is never the gold. Known CSV problems: no grades or inspector for
the SIF reports of 2014-2018 although page 1 prints the grade; "Jenny -ellen Scotland" for
Jenny-ellen Scotland; the Bromley 2012 "PDF" is a "Report not found" web page (no question).

Each line is a Croydon-style item (evals/sets.py validates it) whose tags carry what the
scorer needs: "kind:grade|lead", "gold:<value>", "page:<n>", "framework:ilacs|sif", and the CSV
check ("csv:agrees", "csv:disagrees", "csv:missing"). evidence[0].doc is the gold report.

`score` asks every question through `ask(q, collection="ofsted-london")` (index it first:
`python -m assistant index ../shared/data/ofsted-london --collection ofsted-london`) and
counts an item correct when:

1. the answer is right: for a grade, the first grade the answer states is the gold grade
   ("requires improvement" and "requires improvement to be good" are the same grade); for a
   lead inspector, the answer contains the inspector's name;
2. the citation marker that follows that statement in the answer points at the gold report
   and the gold page ("strict"). "lenient" accepts any citation of the gold report and page.

About 40% of the questions are blind (`evals.sets.hash_blind`, as in `python -m evals`): `score`
counts their failures but never prints them, and writes their rows without question or answer.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "ofsted-london"
SET = Path(__file__).resolve().parent / "london_dev.jsonl"
OUT = Path(__file__).resolve().parent / "out" / "london"
COLLECTION = "ofsted-london"

GRADE = r"(outstanding|good|requires? improvement(?: to be good)?|inadequate)"
GRADES = re.compile(rf"\b{GRADE}\b", re.I)
LEAD = re.compile(r"^Lead inspector(?: on site)?\s*:\s*(.+)$", re.I)
ILACS_GRADE = re.compile(rf"^Overall effectiveness\s*:\s*{GRADE}", re.I)
SIF_SENTENCE = re.compile(rf"^The overall judgement is (?:that )?(?:children.s services? )?(?:are |is )?{GRADE}", re.I)
SIF_HEADING = re.compile(rf"^Children.s services in .+?\s(?:(?:are|is)\s+)?{GRADE}", re.I)
INSPECTION_DATES = re.compile(r"^Inspection dates?\s*:\s*(.+)$", re.I)
YEAR = re.compile(r"\b(20\d\d)\b")
MARKER = re.compile(r"\[(\d+)\]")
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]


def norm_grade(text: str) -> str:
    t = text.lower()
    return "requires improvement" if "improvement" in t else t


def first_grade(answer: str) -> tuple[str, int] | None:
    """The first grade the answer states, and where."""
    m = GRADES.search(answer)
    return (norm_grade(m.group(1)), m.start()) if m else None


def clean_name(raw: str) -> str:
    """"Brenda McLaughlin Her Majesty's Inspector" -> "Brenda McLaughlin"."""
    name = re.split(r",|\s+(?:Her|His) Majesty|\s+HMI\b|\s+Senior\b|\s*\(", raw)[0]
    return " ".join(name.strip(" .").split())


def name_pattern(name: str) -> str:
    parts = [re.escape(p).replace(r"\-", "[-\\s]?") for p in re.split(r"\s+", name)]
    return r"\b" + r"\s+".join(parts) + r"\b"


def borough_name(folder: str) -> str:
    small = {"and", "upon"}
    return " ".join(w if w in small else w.capitalize() for w in folder.split("-"))


# --- gold from the reports -------------------------------------------------------------------


def extract(doc) -> dict:
    """Lead inspector, overall grade and inspection year of one loaded report, with pages."""
    out: dict = {}
    for p in doc.paragraphs:
        text = p.text.strip()
        if "lead" not in out:
            m = LEAD.match(text)
            if m:
                out["lead"] = {"value": clean_name(m.group(1)), "page": p.page, "ref": p.ref, "quote": text}
        if "inspected" not in out and (p.page or 99) <= 2:
            m = INSPECTION_DATES.match(text)
            if m and YEAR.search(m.group(1)):
                out["inspected"] = int(YEAR.findall(m.group(1))[-1])  # the year the fieldwork ended
        if "grade" not in out and (p.page or 99) <= 2:
            # SIF reports state it as a sentence or as the heading of the page-1 judgement table
            for pattern, where in ((ILACS_GRADE, text), (SIF_SENTENCE, text), (SIF_HEADING, text),
                                   (SIF_SENTENCE, p.heading), (SIF_HEADING, p.heading)):
                m = pattern.match(where)
                if m:
                    out["grade"] = {"value": norm_grade(m.group(1)), "page": p.page, "ref": p.ref, "quote": where,
                                    "in_heading": where is p.heading,
                                    "framework": "ilacs" if pattern is ILACS_GRADE else "sif"}
                    break
    return out


def verify_page(path: Path, page: int, needle: str) -> bool:
    """Independent of the loader: does the physical PDF page hold the gold text?"""
    import pymupdf

    words = re.findall(r"\w+", needle.lower())[:6]
    with pymupdf.open(path) as pdf:
        if not 1 <= page <= pdf.page_count:
            return False
        text = " ".join(re.findall(r"\w+", pdf[page - 1].get_text().lower()))
    return " ".join(words) in text


def read_csv(data: Path) -> dict[str, dict]:
    rows = {}
    with open(data / "inspections.csv", newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            folder = r["local_authority"].strip().replace(" ", "-")
            rows[f"{folder}/{r['pdf_filename']}"] = r
    return rows


def csv_check(row: dict | None, kind: str, gold: str) -> str:
    if row is None:
        return "missing"
    value = row["overall_effectiveness_grade"] if kind == "grade" else row["inspector_name"]
    value = (value or "").strip()
    if not value or value in {"data_unreadable", "not_reported_post_reform"} or "_" in value:
        return "missing"
    if kind == "grade":
        return "agrees" if norm_grade(value) == gold else "disagrees"
    return "agrees" if value.replace(" ", "").lower() == gold.replace(" ", "").lower() else "disagrees"


GRADE_TEMPLATES = [
    "What overall effectiveness grade did Ofsted give {b} in its {my} inspection report?",
    "How did Ofsted judge {b}'s children's services overall in {y}?",
    "What was the overall judgement of the {y} Ofsted inspection of {b} children's services?",
    "What overall grade did {b} children's services get from Ofsted in the report published in {my}?",
    "How were children's services in {b} rated overall by Ofsted in {y}?",
]
LEAD_TEMPLATES = [
    "Who was the lead inspector of {b}'s {y} Ofsted inspection?",
    "Who led Ofsted's inspection of {b} children's services published in {my}?",
    "Which inspector led the {y} inspection of children's services in {b}?",
    "Who was the lead inspector for the Ofsted report on {b} published in {my}?",
    "Name the lead inspector of the {y} Ofsted inspection of {b}.",
]


def build(data: Path, out: Path) -> int:
    from assistant.loaders import LoadError, discover, load_document

    rows = read_csv(data)
    items, problems, disagreements = [], [], []
    missing_csv: Counter = Counter()
    n = 0
    for _root, f in discover([data]):
        rel = f.relative_to(data).as_posix()
        try:
            doc = load_document(f, data)
        except LoadError as e:
            problems.append(f"{rel}: not a report ({e.reason}); no question")
            continue
        gold = extract(doc)
        date = doc.info.date  # publication date, from the report's first page
        year, month = int(date[:4]), int(date[5:7])
        b = borough_name(rel.split("/")[0])
        my = f"{MONTHS[month - 1]} {year}"
        framework = "ilacs" if year >= 2018 and gold.get("grade", {}).get("framework") != "sif" else "sif"
        row = rows.get(rel)
        for kind, templates in (("grade", GRADE_TEMPLATES), ("lead", LEAD_TEMPLATES)):
            g = gold.get(kind)
            if g is None:
                problems.append(f"{rel}: no {kind} found in the report" + (" (reformed framework: no overall grade)" if kind == "grade" and year >= 2026 else ""))
                continue
            if not verify_page(f, g["page"], g["quote"]):
                problems.append(f"{rel}: {kind} text not found on physical page {g['page']}")
            check = csv_check(row, kind, g["value"])
            csv_value = (row or {}).get("overall_effectiveness_grade" if kind == "grade" else "inspector_name", "")
            if check == "disagrees":
                disagreements.append(f"{rel}: {kind} report={g['value']!r} csv={csv_value!r}")
            elif check == "agrees" and kind == "lead" and csv_value != g["value"]:
                problems.append(f"{rel}: CSV spells the lead inspector {csv_value!r}, the report {g['value']!r}")
            elif check == "missing" and row is not None and csv_value in {"", "data_unreadable"}:
                missing_csv[kind] += 1
            # An inspection year that differs from the publication year would make "the <year>
            # inspection" ambiguous: those questions name the publication month instead.
            ambiguous = gold.get("inspected") not in (None, year)
            choices = [t for t in templates if "{my}" in t] if ambiguous else templates
            template = choices[n % len(choices)]
            n += 1
            question = template.format(b=b, y=year, my=my)
            if kind == "grade":
                patterns = [r"\brequires? improvement\b" if g["value"] == "requires improvement" else rf"\b{g['value']}\b"]
                reference = f"Ofsted judged {b}'s children's services {g['value']} overall ({my} report, p. {g['page']})."
            else:
                patterns = [name_pattern(g["value"])]
                reference = f"{g['value']} led the inspection ({my} report, p. {g['page']})."
            items.append({
                "id": f"ldn-{kind}-{rel.split('/')[0]}-{year}",
                "question": question,
                "history": [],
                "answerable": True,
                "answer_patterns": patterns,
                "reference": reference,
                "evidence": [{"doc": rel, "quote": g["quote"]}],
                "tags": [f"kind:{kind}", f"gold:{g['value']}", f"page:{g['page']}", f"framework:{framework}",
                         f"csv:{check}", f"year:{year}", *(["gold-in-heading"] if g.get("in_heading") else [])],
            })
    out.write_text("".join(json.dumps(it, ensure_ascii=False) + "\n" for it in items), encoding="utf-8")
    from evals.sets import load_set

    load_set(out)  # the set validates as a Croydon-style set
    kinds = Counter(t for it in items for t in it["tags"] if t.startswith(("kind:", "csv:")))
    print(f"wrote {len(items)} questions to {out}: {dict(sorted(kinds.items()))}")
    print(f"inspections.csv has no value where the report prints one: {dict(missing_csv)} "
          f"(gold taken from the reports); {len(disagreements)} disagreements")
    for p in problems:
        print("note:", p)
    for d in disagreements:
        print("CSV disagrees:", d)
    return 0


# --- scoring --------------------------------------------------------------------------------


def tag(item, prefix: str) -> str:
    return next((t.split(":", 1)[1] for t in item.tags if t.startswith(prefix + ":")), "")


def judge(item, answer) -> dict:
    """Right answer, and the citation behind it is the gold report and page."""
    kind, gold, page = tag(item, "kind"), tag(item, "gold"), int(tag(item, "page"))
    doc = item.evidence[0]["doc"]
    text = answer.answer
    if kind == "grade":
        found = first_grade(text)
        right = found is not None and found[0] == gold
        at = found[1] if found else -1
    else:
        m = re.search(item.answer_patterns[0], text, re.I)
        right, at = m is not None, (m.start() if m else -1)
    by_n = {c.n: c for c in answer.citations}

    def cited_after(pos: int):
        marker = MARKER.search(text, pos) if pos >= 0 else None
        return by_n.get(int(marker.group(1))) if marker else None

    def gold_cite(c) -> bool:
        return bool(c and c.doc == doc and c.page == page)

    cited = cited_after(at)
    strict = bool(right and gold_cite(cited))
    lenient = bool(right and any(gold_cite(c) for c in answer.citations))
    # "supported": some statement of the gold answer (not necessarily the first) cites the gold page
    if kind == "grade":
        mentions = [m.start() for m in GRADES.finditer(text) if norm_grade(m.group(1)) == gold]
    else:
        mentions = [m.start() for m in re.finditer(item.answer_patterns[0], text, re.I)]
    supported = any(gold_cite(cited_after(pos)) for pos in mentions)
    return {
        "id": item.id, "kind": kind, "question": item.question, "gold": gold, "gold_doc": doc, "gold_page": page,
        "answer": text, "abstained": answer.abstained, "right_answer": right, "strict": strict, "lenient": lenient,
        "supported": supported,
        "cited": [{"doc": c.doc, "page": c.page, "ref": c.ref} for c in answer.citations],
        "cited_for_answer": {"doc": cited.doc, "page": cited.page, "ref": cited.ref} if cited else None,
        "framework": tag(item, "framework"), "csv": tag(item, "csv"),
        "gold_in_heading": "gold-in-heading" in item.tags,
    }


def cause(r: dict) -> str:
    """Where it went wrong: retrieval (the gold passage is not among the passages the answer
    stage reads) or composition (it is, and another sentence was chosen, or none)."""
    rank = r.get("gold_rank")
    retrieved = "gold passage not retrieved" if rank is None else f"gold passage retrieved (rank {rank})"
    if r["abstained"]:
        return f"abstained; {retrieved}"
    docs = {c["doc"] for c in r["cited"]}
    if r["gold_doc"] not in docs:
        other = next(iter(docs), "")
        which = "another report of the same borough" if other.split("/")[0] == r["gold_doc"].split("/")[0] else "another borough's report"
        return f"cited {which}; {retrieved}"
    if not r["right_answer"]:
        return f"gold report cited, wrong statement; {retrieved}"
    return f"right answer, cited another page; {retrieved}"


def gold_rank(item, hits) -> int | None:
    """1-based rank of the first retrieved passage that holds the gold statement on the gold page."""
    from evals.sets import quote_in

    doc, page, quote = item.evidence[0]["doc"], int(tag(item, "page")), item.evidence[0]["quote"]
    for rank, h in enumerate(hits, start=1):
        c = h.chunk
        if c.doc == doc and c.page == page and quote_in(quote, f"{c.heading}\n{c.text}"):
            return rank
    return None


def score(path: Path, limit: int | None, kind: str | None, out: Path, quiet: bool) -> int:
    from assistant.pipeline import ask, load_engine, search
    from assistant.questions import analyse
    from assistant.settings import load_settings
    from evals.sets import hash_blind, load_set

    items = load_set(path)
    if kind:
        items = [it for it in items if tag(it, "kind") == kind]
    items = items[:limit] if limit else items
    settings = load_settings()
    engine = load_engine(COLLECTION, settings)
    rows, seconds = [], []
    for i, it in enumerate(items, 1):
        t0 = time.perf_counter()
        answer = ask(it.question, collection=COLLECTION)
        seconds.append(time.perf_counter() - t0)
        r = judge(it, answer)
        # the passages the answer stage read (no history: the question is the query)
        r["gold_rank"] = gold_rank(it, search(engine.retriever, analyse(it.question), settings.top_k))
        r["part"] = "blind" if hash_blind(it.id) else "train"
        rows.append(r)
        if not quiet:
            shown = it.id if r["part"] == "train" else "(blind)"
            print(f"[{i}/{len(items)}] {'ok ' if r['strict'] else 'BAD'} {shown}", file=sys.stderr)
    summary = summarise(rows, seconds)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "rows.jsonl", "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(redact(r), ensure_ascii=False) + "\n")
    (out / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    print_summary(summary, rows)
    return 0


# A blind question's row keeps how it ended, never its text (evals/collections.py: London is hash-split).
BLIND_KEYS = ("id", "part", "kind", "framework", "abstained", "right_answer", "strict", "lenient", "supported",
              "gold_rank")


def redact(row: dict) -> dict:
    return {k: row[k] for k in BLIND_KEYS if k in row} if row.get("part") == "blind" else row


def summarise(rows: list[dict], seconds: list[float]) -> dict:
    def rate(rs, key):
        return round(sum(bool(r[key]) for r in rs) / len(rs), 3) if rs else None

    groups: dict[str, list] = defaultdict(list)
    for r in rows:
        r["retrieved"] = r.get("gold_rank") is not None
        groups["all"].append(r)
        groups[f"kind={r['kind']}"].append(r)
        groups[f"framework={r['framework']}"].append(r)
        groups[f"{r['kind']}/{r['framework']}"].append(r)
    seconds = sorted(seconds)
    return {
        "n": len(rows),
        "groups": {g: {"n": len(rs), "answer": rate(rs, "right_answer"), "lenient": rate(rs, "lenient"),
                       "supported": rate(rs, "supported"), "strict": rate(rs, "strict"),
                       "gold_in_top20": rate(rs, "retrieved")} for g, rs in sorted(groups.items())},
        "failure_causes": dict(Counter(re.sub(r" \(rank \d+\)", "", cause(r)) for r in rows if not r["strict"]).most_common()),
        "seconds_per_question_p50": round(seconds[len(seconds) // 2], 3) if seconds else None,
    }


def print_summary(summary: dict, rows: list[dict]) -> None:
    print("answer: right answer; +cited: and some citation is the gold page; supported: a statement of the\n"
          "gold answer carries the gold citation; strict: the first answer stated carries it (the accuracy);\n"
          "read: the gold passage is among the top_k passages the answer stage reads")
    print(f"{'group':<22}{'n':>5}{'answer':>9}{'+cited':>9}{'supported':>11}{'strict':>9}{'read':>8}")
    for g, s in summary["groups"].items():
        print(f"{g:<22}{s['n']:>5}{s['answer']:>9.3f}{s['lenient']:>9.3f}{s['supported']:>11.3f}{s['strict']:>9.3f}"
              f"{s['gold_in_top20']:>8.3f}")
    print("failure causes:", json.dumps(summary["failure_causes"], indent=1))
    blind = sum(1 for r in rows if r.get("part") == "blind" and not r["strict"])
    if blind:
        print(f"({blind} failures of blind questions are counted above, not listed)")
    for r in rows:
        if not r["strict"] and r.get("part") != "blind":
            print(f"- {r['id']}: {r['question']}\n    gold {r['gold']!r} {r['gold_doc']} p.{r['gold_page']}; "
                  f"{cause(r)}; cited {r['cited_for_answer'] or (r['cited'][:1] or None)}\n    answer: {r['answer'][:220]!r}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m evals.london", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="write the question set from the reports (checked against inspections.csv)")
    b.add_argument("--data", type=Path, default=DATA)
    b.add_argument("--out", type=Path, default=SET)
    s = sub.add_parser("score", help="ask every question of the ofsted-london collection and score it")
    s.add_argument("--set", type=Path, default=SET)
    s.add_argument("--limit", type=int, default=None)
    s.add_argument("--kind", choices=["grade", "lead"], default=None)
    s.add_argument("--out", type=Path, default=OUT)
    s.add_argument("--quiet", action="store_true")
    args = p.parse_args(argv)
    if args.command == "build":
        return build(args.data, args.out)
    return score(args.set, args.limit, args.kind, args.out, args.quiet)


if __name__ == "__main__":
    sys.exit(main())
