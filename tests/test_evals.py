"""The eval harness: its metrics on hand-computed examples, the train/blind split, and the CI gate.

The gate runs the BLIND part of each eval collection (Croydon's unread held-out batches, and ~40%
of generic and ClapNQ, chosen by hash of the id) through the real ask() with the default system,
and fails when a metric falls below its floor in evals/thresholds.json. Nobody reads the blind
failures, so nobody can tune on them: after an improvement, rewrite the floors with
`python -m evals --update-thresholds`. The Croydon dev set is not gated (it was fitted to).
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

import numpy as np
import pytest

from evals import metrics as M
from evals.beir import read_qrels, read_trec_run, score_run, strictly_decreasing, write_trec_run
from evals.report import GATED_COLLECTIONS
from evals.sets import SetProblem, load_set, normalise, quote_in

ROOT = Path(__file__).resolve().parent.parent
THRESHOLDS = ROOT / "evals" / "thresholds.json"
EVALS = ROOT / "evals"


# ---------------------------------------------------------------- gold matching


def test_quote_matching_ignores_quotes_case_whitespace_numbers_and_punctuation():
    passage = "41. The inspectors judged the Council’s services as “Good”,\n  retaining   the grade."
    assert quote_in("the council's services as \"good\" retaining the grade", passage)
    assert quote_in("The inspectors judged", passage)  # the paragraph number "41." is not content
    assert quote_in("Overall effectiveness Good", "Overall effectiveness: Good.")  # a table row rewritten
    assert not quote_in("ood", "good")  # whole words only
    assert not quote_in("services as bad", passage)
    assert not quote_in("", passage)
    assert normalise("3.12 Caseloads are  high.\n4) Next") == "caseloads are high next"


def test_croydon_set_is_well_formed():
    items = load_set()
    assert len(items) >= 100
    assert all(it.answer_patterns and it.evidence for it in items if it.answerable)
    assert any(not it.answerable for it in items) and any(it.is_follow_up for it in items)
    # every follow-up can be compared with the same question asked on its own
    assert all(it.standalone for it in items if it.is_follow_up)


@pytest.mark.parametrize("line, problem", [
    ('{"id": "x"}', "missing field"),
    ('{"id": "x", "question": "Q?", "history": [], "answerable": true, "answer_patterns": ["("], '
     '"reference": "", "evidence": [{"doc": "d", "quote": "q"}], "tags": []}', "bad regex"),
    ('{"id": "x", "question": "Q?", "history": [], "answerable": true, "answer_patterns": [], '
     '"reference": "", "evidence": [], "tags": []}', "needs answer_patterns"),
    ('not json', "not JSON"),
    ('{"id": "x", "question": "Q?", "history": [], "standalone": "Q?", "answerable": false, "answer_patterns": [], '
     '"reference": "", "evidence": [], "tags": []}', "needs a history"),
])
def test_malformed_lines_are_named(tmp_path, line, problem):
    path = tmp_path / "bad.jsonl"
    path.write_text(line + "\n", encoding="utf-8")
    with pytest.raises(SetProblem, match=problem) as e:
        load_set(path)
    assert "bad.jsonl:1" in str(e.value)


# ---------------------------------------------------------------- ranking metrics


def test_recall_mrr_ndcg_by_hand():
    ranking = ["a", "x", "b", "y", "c"]
    assert M.recall_at_k(ranking, {"a", "b", "z"}, 1) == pytest.approx(1 / 3)
    assert M.recall_at_k(ranking, {"a", "b", "z"}, 3) == pytest.approx(2 / 3)
    assert M.recall_at_k(ranking, set(), 3) == 0.0
    assert M.mrr_at_k(["x", "y", "a"], {"a"}, 10) == pytest.approx(1 / 3)
    assert M.mrr_at_k(["x", "y", "a"], {"a"}, 2) == 0.0
    # DCG = 1/log2(3) + 1/log2(4); ideal = 1 + 1/log2(3) + 1/log2(4) (three relevant: b, c, d)
    dcg = 1 / math.log2(3) + 1 / math.log2(4)
    assert M.ndcg_at_k(["a", "b", "c"], {"b": 1, "c": 1, "d": 1}, 10) == pytest.approx(dcg / (1 + dcg))
    assert M.ndcg_at_k(["b", "c", "d"], {"b": 1, "c": 1, "d": 1}, 10) == pytest.approx(1.0)
    # graded: gain is the grade (trec_eval's ndcg_cut)
    assert M.ndcg_at_k(["b", "a"], {"a": 2, "b": 1}, 10) == pytest.approx((1 + 2 / math.log2(3)) / (2 + 1 / math.log2(3)))
    assert M.ndcg_at_k(["a"], {}, 10) == 0.0
    assert M.dedupe(["d1", "d2", "d1", "d3"]) == ["d1", "d2", "d3"]


# ---------------------------------------------------------------- answers and citations


def test_patterns_all_must_match():
    assert M.patterns_match([r"\bgood\b", "care"], "Children in care: Good.")
    assert not M.patterns_match([r"\bgood\b", "leavers"], "Children in care: Good.")
    assert not M.patterns_match([], "anything")


def test_token_f1_and_recall_by_hand():
    # tokens: prediction [cat, sat], reference [cat, sat, down] -> P = 1, R = 2/3, F1 = 0.8
    assert M.token_f1("The cat sat.", "A cat sat down") == pytest.approx(0.8)
    assert M.token_recall("The cat sat.", "A cat sat down") == pytest.approx(2 / 3)
    assert M.token_f1("dog", "cat") == 0.0
    assert M.best_over(["dog", "cat sat"], "the cat sat", M.token_f1) == pytest.approx(1.0)
    assert M.best_over([], "x", M.token_f1) == 0.0


def test_cited_sentences_split_with_markers():
    text = ("Overall effectiveness was judged good [1]. Dr. Smith led it, e.g. in March [2]. (2024) Help and "
            "protection requires improvement [1, 3].\n- Care leavers: good [2].\nNo citation here.")
    got = M.cited_sentences(text)
    assert [refs for _, refs in got] == [[1], [2], [1, 3], [2], []]
    assert got[1][0].startswith("Dr. Smith")


def test_citation_precision_recall_alce_by_hand():
    sentences = [("A [1].", [1]), ("B [2].", [2]), ("C.", [])]
    # recall: only sentence A is supported -> 1/3; precision: citations 1 (good) and 2 (bad) -> 1/2
    assert M.citation_precision_recall(sentences, {1: True, 2: False}) == (pytest.approx(0.5), pytest.approx(1 / 3))
    # one sentence citing a supporting and an irrelevant passage: supported, but the extra citation costs precision
    assert M.citation_precision_recall([("A [1][2].", [1, 2])], {1: True, 2: False}) == (0.5, 1.0)
    assert M.citation_precision_recall([("A.", [])], {}) == (None, 0.0)
    assert M.citation_precision_recall([], {}) == (None, None)


# ---------------------------------------------------------------- summaries


def test_judge_takes_the_first_grade_stated_and_evidence_from_the_report_asked_about():
    """One judgement of an answer for the harness and the fit alike: a London grade question is right
    only when the first grade stated is the gold one, and a citation supports it only from its own report."""
    from evals.harness import Case, SetSpec, judge

    case = Case("g1", "How was Barnet rated?", [], True, ["Overall effectiveness: Good"], patterns=["good"],
                tags=["kind:grade", "gold:good"], evidence=[{"doc": "barnet.pdf", "quote": "Overall effectiveness: Good"}])
    spec = SetSpec("london", [case], "ofsted-london", None, match_doc=True)
    cite = {"n": 1, "doc": "barnet.pdf", "ref": "p1", "text": "Overall effectiveness: Good"}
    right = judge(case, spec, "Overall effectiveness: Good [1].", False, [cite])
    assert right["correct"] and right["citation_precision"] == 1.0
    hedged = judge(case, spec, "Help and protection requires improvement to be good [1]. Overall: good [1].", False, [cite])
    assert hedged["answer_ok"] is False and not hedged["correct"]
    elsewhere = judge(case, spec, "Overall effectiveness: Good [1].", False, [{**cite, "doc": "brent.pdf"}])
    assert elsewhere["answer_ok"] and not elsewhere["evidence_cited"] and elsewhere["citation_precision"] == 0.0
    assert not judge(case, spec, "I can't find an answer.", True, [])["correct"]


def test_auc_by_hand():
    assert M.auc([0.9, 0.8], [0.1, 0.2]) == 1.0
    assert M.auc([0.1], [0.9]) == 0.0
    assert M.auc([0.5, 0.9], [0.5, 0.1]) == (0.5 + 1 + 1 + 1) / 4  # the tie counts half
    assert M.auc([0.5], []) is None


def test_percentile_rate_mean_wilson():
    assert M.percentile([4, 1, 3, 2], 50) == pytest.approx(2.5)
    assert M.percentile([1, 2, 3, 4], 95) == pytest.approx(3.85)
    assert M.percentile([], 50) is None
    assert M.rate([True, False, True, True]) == 0.75 and M.rate([]) is None
    assert M.mean([1.0, None, 0.0]) == 0.5 and M.mean([None]) is None
    lo, hi = M.wilson_interval(5, 10)
    assert lo == pytest.approx(0.2366, abs=1e-4) and hi == pytest.approx(0.7634, abs=1e-4)


# ---------------------------------------------------------------- TREC run files


def test_run_file_keeps_order_through_ties(tmp_path):
    rankings = {"q1": [("d3", 0.5), ("d1", 0.5), ("d2", 0.25)], "q2": [("d9", 1.0)]}
    nudged = strictly_decreasing([0.5, 0.5, 0.5, 0.1, 0.0325224749, 0.0325224748])
    assert nudged[0] == 0.5 and nudged[3] == pytest.approx(0.1)
    assert all(a > b for a, b in zip(nudged, nudged[1:]))
    assert np.float32(nudged[4]) > np.float32(nudged[5])  # apart even in trec_eval's 32-bit floats
    path = tmp_path / "x.run"
    write_trec_run(path, rankings, "tag")
    lines = path.read_text().splitlines()
    assert lines[0].split() == ["q1", "Q0", "d3", "1", "0.5", "tag"]
    back = read_trec_run(path)
    assert [d for d, _ in back["q1"]] == ["d3", "d1", "d2"]
    qrels = {"q1": {"d1": 1, "d2": 1}, "q2": {"d9": 1}, "q3": {"d5": 1}}
    means, per_query = score_run(back, qrels)
    assert per_query["q1"]["mrr@10"] == 0.5 and per_query["q3"]["ndcg@10"] == 0.0  # unretrieved query scores 0
    assert means["recall@100"] == pytest.approx(2 / 3)


def test_run_file_scores_the_same_with_trec_eval(tmp_path):
    """The independent scorer (pytrec_eval, trec_eval's code) agrees with ours on a run with ties."""
    pytrec_eval = pytest.importorskip("pytrec_eval")
    import random

    rnd = random.Random(7)
    docs = [f"d{i}" for i in range(300)]
    qrels = {f"q{q}": {d: 1 for d in rnd.sample(docs, rnd.randint(1, 5))} for q in range(20)}
    rankings = {}
    for q in qrels:
        ranked = rnd.sample(docs, 150)
        # exact ties in pairs, and near-ties (1e-10 apart) that only float32 merges
        rankings[q] = [(d, 1.0 / (60 + r // 2) - (r % 2) * 1e-10 * (q[-1] == "3")) for r, d in enumerate(ranked)]
    path = tmp_path / "ties.run"
    write_trec_run(path, rankings, "t")
    ours, _ = score_run({q: r[:100] for q, r in rankings.items()}, qrels)
    run = {}
    for q, ranked in read_trec_run(path).items():
        run[q] = {d: s for d, s in ranked}
    ev = pytrec_eval.RelevanceEvaluator(qrels, {"ndcg_cut.10", "recall.100"})
    top10 = {q: dict(sorted(r.items(), key=lambda x: -x[1])[:10]) for q, r in run.items()}
    mrr = pytrec_eval.RelevanceEvaluator(qrels, {"recip_rank"}).evaluate(top10)
    theirs = ev.evaluate(run)
    assert ours["ndcg@10"] == pytest.approx(sum(v["ndcg_cut_10"] for v in theirs.values()) / len(theirs), abs=1e-9)
    assert ours["recall@100"] == pytest.approx(sum(v["recall_100"] for v in theirs.values()) / len(theirs), abs=1e-9)
    assert ours["mrr@10"] == pytest.approx(sum(v["recip_rank"] for v in mrr.values()) / len(mrr), abs=1e-9)


def test_qrels_reader_skips_header(tmp_path):
    p = tmp_path / "test.tsv"
    p.write_text("query-id\tcorpus-id\tscore\n1\t31715818\t1\n1\t9\t0\n3\t14717500\t2\n")
    assert read_qrels(p) == {"1": {"31715818": 1, "9": 0}, "3": {"14717500": 2}}


# ---------------------------------------------------------------- train and blind parts


def _all_set_ids() -> list[str]:
    ids = [it.id for f in sorted(EVALS.glob("*.jsonl")) for it in load_set(f)]
    clapnq = ROOT.parent / "shared" / "data" / "clapnq" / "clapnq_dev_rag.jsonl"
    if clapnq.exists():
        ids += [str(json.loads(line)["id"]) for line in clapnq.read_text(encoding="utf-8").splitlines() if line.strip()]
    return ids


def test_hash_split_is_deterministic_and_about_forty_percent():
    from evals.sets import hash_blind

    ids = _all_set_ids()
    assert len(ids) >= 500
    blind = [hash_blind(i) for i in ids]
    assert 0.34 <= sum(blind) / len(blind) <= 0.46, sum(blind) / len(blind)
    assert blind == [hash_blind(i) for i in ids]  # the id alone decides
    for i in ids[:50]:
        assert hash_blind(i) == (int(hashlib.sha256(i.encode()).hexdigest()[:8], 16) % 100 < 40)
        assert hash_blind(f"{i}/alone") == hash_blind(i)  # a standalone twin goes with its follow-up


@pytest.fixture(scope="module")
def croydon_ready():
    from evals.collections import REGISTRY, prepare

    return prepare(REGISTRY["croydon"], log=lambda *_: None)


def test_croydon_blind_part_is_the_unread_heldout_batches(croydon_ready):
    blind = croydon_ready.part("blind")
    heldout = {it.id for it in load_set(EVALS / "croydon_heldout.jsonl")}
    assert {c.id for c in blind} == {i for i in heldout if i.startswith(("he-", "hf-"))}
    assert all(c.source == "croydon_heldout" for c in blind)
    train = croydon_ready.part("train")
    assert {c.source for c in train} == {"croydon_dev", "croydon_heldout", "croydon_paraphrase", "croydon_conversations"}
    assert not any(c.id.startswith(("he-", "hf-")) for c in train)


def test_collect_yields_train_questions_with_their_engine():
    from evals.collections import collect

    seen = 0
    for ready, case in collect(["croydon"], log=lambda *_: None):
        assert case.part == "train" and ready.collection is None
        if case.answerable and seen < 3:
            assert ready.engine().retriever.chunks and ready.relevant(case)  # gold chunks to fit against
            seen += 1
    assert seen == 3
    with pytest.raises(ValueError, match="train questions only"):
        next(collect(["croydon"], part="blind"))


def test_a_missing_set_or_data_folder_is_skipped_with_a_note(tmp_path):
    from evals.collections import EvalCollection, prepare, select

    notes = []
    gone = EvalCollection("gone", "Gone", "gone", (EVALS / "croydon_dev.jsonl",), data=tmp_path / "absent")
    partial = EvalCollection("partial", "Partial", None, (tmp_path / "absent.jsonl", EVALS / "croydon_conversations.jsonl"),
                             split="heldout")
    assert [c.name for c in select([gone, partial], log=notes.append)] == ["partial"]
    ready = prepare(partial, log=notes.append)
    assert len(ready.cases) == 2 * 24 and {c.part for c in ready.cases} == {"train"}
    assert len(notes) == 2 and "gone" in notes[0] and "absent.jsonl" in notes[1]
    with pytest.raises(ValueError, match="unknown collection"):
        select(["nope"])


def test_every_gold_quote_is_found_in_the_index(croydon_ready):
    """A loader or chunker change that splits or rewrites a gold passage would silently zero its metrics."""
    from evals.harness import normalised_chunks, relevant_chunks

    spec = croydon_ready.set_spec()
    chunks = croydon_ready.engine().retriever.chunks
    normalised = normalised_chunks(chunks, spec)
    missing = [c.id for c in croydon_ready.part("train") if c.answerable and not relevant_chunks(c, spec, chunks, normalised)]
    assert not missing, f"questions whose gold quotes are in no chunk: {missing[:10]}"


@pytest.fixture(scope="module")
def conversations():
    """The Croydon conversations set (every item a follow-up with its standalone form), default system."""
    from evals.harness import croydon_spec, run_set, summarise

    spec = croydon_spec(path=EVALS / "croydon_conversations.jsonl")
    rows = run_set(spec, ("hybrid",), progress=False, log=lambda *_: None)["hybrid"]
    return rows, summarise(rows, spec.settings.top_k)


def test_rows_are_readable(conversations):
    rows, summary = conversations
    own = [r for r in rows if not r.get("twin_of")]
    assert len(own) == summary["questions"] == 24
    row = next(r for r in rows if r["answerable"] and not r["abstained"])
    for key in ("question", "query", "answer", "citations", "retrieved", "sentences", "outcome", "timings", "part"):
        assert key in row
    assert set(row["timings"]) >= {"retrieve", "compose", "total"}
    json.dumps(rows)  # every row serialises


def test_follow_ups_are_paired_with_the_same_questions_asked_alone(conversations):
    rows, summary = conversations
    follow_ups = {r["id"]: r for r in rows if r.get("history")}
    alone = [r for r in rows if r.get("twin_of")]
    assert {r["twin_of"] for r in alone} == set(follow_ups)
    assert all(not r.get("history") and r["question"] != follow_ups[r["twin_of"]]["question"] for r in alone)
    # the standalone forms are measured apart: they change no other figure
    assert summary["followup_questions"] == len(follow_ups)
    assert len(summary["twin_pairs"]) == len(follow_ups)
    assert summary["twin_standalone_accuracy"] == sum(r["correct"] for r in alone) / len(alone)


# ---------------------------------------------------------------- the CI gate: blind parts

GATED = GATED_COLLECTIONS  # croydon, generic, clapnq; not london (its index takes 10-16 minutes to build)


def test_gate_bounds_floor_to_two_decimals_minus_margin():
    from evals.report import blind_bounds, gate_bounds

    got = gate_bounds({"answer_accuracy": 0.734, "false_abstention_rate": 0.0106, "citation_precision": 0.01,
                       "abstention_accuracy": None})
    assert got == {"answer_accuracy": {"min": 0.70}, "false_abstention_rate": {"max": 0.05},
                   "citation_precision": {"min": 0.0}}
    assert "ndcg@10" in blind_bounds("croydon", {"ndcg@10": 0.5}) and not blind_bounds("generic", {"ndcg@10": 0.5})


@pytest.fixture(scope="module")
def blind_results():
    """The blind parts of the gated collections (those whose data and set exist), default system."""
    from evals.collections import run

    return run(list(GATED), part="blind", progress=False, log=lambda *_: None)


@pytest.mark.parametrize("collection", GATED)
def test_blind_part_meets_thresholds(blind_results, collection):
    """A regression below evals/thresholds.json fails CI; after an improvement, raise the floors there."""
    result = next((r for r in blind_results if r["collection"] == collection), None)
    if result is None:
        pytest.skip(f"{collection}: data folder or set file missing")
    gates = json.loads(THRESHOLDS.read_text(encoding="utf-8")).get(collection, {}).get("blind")
    assert gates, f"evals/thresholds.json has no blind floors for {collection}: python -m evals --update-thresholds"
    summary = result["summary"]["hybrid"]
    failures = []
    for metric, bound in gates.items():
        value = summary[metric]
        if value is None:
            continue
        if "min" in bound and value < bound["min"]:
            failures.append(f"{metric} = {value:.3f} < {bound['min']}")
        if "max" in bound and value > bound["max"]:
            failures.append(f"{metric} = {value:.3f} > {bound['max']}")
    assert not failures, f"{collection} blind part regressed (python -m evals for the report): " + "; ".join(failures)


def test_blind_rows_carry_no_text(blind_results, tmp_path):
    from evals.report import BLIND_KEYS, run_meta, write_collection_outputs
    from assistant.settings import load_settings

    paths = write_collection_outputs(blind_results, tmp_path, run_meta("test", load_settings(), 0.0))
    rows = [json.loads(line) for line in paths["rows"].read_text(encoding="utf-8").splitlines()]
    assert rows and all(r["part"] == "blind" for r in rows)
    assert all(set(r) <= set(BLIND_KEYS) for r in rows)
    assert not any(k in r for r in rows for k in ("question", "answer", "citations", "retrieved", "history", "query"))
    written = paths["report"].read_text(encoding="utf-8") + paths["summary"].read_text(encoding="utf-8")
    croydon = next(r for r in blind_results if r["collection"] == "croydon")
    questions = [r["question"] for r in croydon["rows"]["hybrid"]]  # in memory only
    assert len(questions) == 80 and not any(q in written for q in questions)


def test_update_thresholds_rewrites_blind_floors_and_keeps_the_others(blind_results, tmp_path):
    from evals.report import update_thresholds

    path = tmp_path / "thresholds.json"
    path.write_text(json.dumps({"london": {"blind": {"answer_accuracy": {"min": 0.5}}},
                                "croydon": {"hybrid": {"answer_accuracy": {"min": 0.9}}}}), encoding="utf-8")
    _, done = update_thresholds(blind_results, path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["london"] == {"blind": {"answer_accuracy": {"min": 0.5}}}  # not in the run: kept
    assert "croydon" in done and set(data["croydon"]) == {"blind"}
    acc = next(r for r in blind_results if r["collection"] == "croydon")["summary"]["hybrid"]["answer_accuracy"]
    assert data["croydon"]["blind"]["answer_accuracy"]["min"] == round(max(0.0, math.floor(acc * 100 + 1e-9) / 100 - 0.03), 2)
    assert {"recall@10", "false_abstention_rate"} <= set(data["croydon"]["blind"])


def test_the_table_prints_every_collection_and_part(tmp_path, capsys):
    from evals.__main__ import main
    from evals.collections import select

    names = [c.name for c in select(["croydon", "generic"], log=lambda *_: None)]
    assert main(["--collections", "croydon,generic", "--part", "both", "--limit", "3", "--quiet", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    table = [line.split() for line in out.splitlines() if line.split()[:1] in ([n] for n in names)]
    assert [(t[0], t[1]) for t in table] == [(n, p) for n in names for p in ("train", "blind")]
    header = next(line for line in out.splitlines() if line.startswith("collection"))
    for column in ("answer acc", "cite P", "cite R", "refused unans", "false refusals", "p50 ms", "p95 ms"):
        assert column in header
    summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert set(summary["collections"]) == set(names)
    assert all(set(summary["collections"][n]) >= {"train", "blind"} for n in names)
    assert (tmp_path / "report.md").exists()


# ---------------------------------------------------------------- fitting the answer model


def test_fit_writes_a_model_the_assistant_loads_from_train_questions_only(tmp_path, capsys):
    """`python -m evals fit` on the generic collection's train part: a loadable model, and what it was fitted on."""
    from assistant.answer import AnswerModel
    from assistant.features import FEATURES
    from assistant.reader import READER_FILE, Reader
    from assistant.settings import load_settings
    from evals.collections import REGISTRY, prepare
    from evals.fit import main

    if prepare(REGISTRY["generic"], log=lambda *_: None) is None:
        pytest.skip("generic: set file missing")
    out = tmp_path / "model.json"
    packaged = READER_FILE.read_bytes()
    assert main(["--collections", "generic", "--out", str(out)]) == 0
    model = AnswerModel.load(out)
    assert model.features == FEATURES and 0 < model.abstain < 1 and 0 < model.extra <= 1
    about = json.loads(out.read_text(encoding="utf-8"))["about"]
    ready = prepare(REGISTRY["generic"], log=lambda *_: None)
    train = ready.part("train")
    assert about["train_questions"]["generic"] == {"answerable": sum(c.answerable for c in train),
                                                   "unanswerable": sum(not c.answerable for c in train)}
    assert "abstain below" in capsys.readouterr().out
    # the reader is tuned and written beside the model, never over the packaged one
    assert Reader.load(load_settings().model, tmp_path / "reader.safetensors") is not None
    assert READER_FILE.read_bytes() == packaged
