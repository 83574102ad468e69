"""The eval harness: its metrics on hand-computed examples, and the Croydon set as a CI gate.

The gate runs every Croydon question through the real ask() (default hybrid system, a few
seconds) and fails when a metric falls below the floor in evals/thresholds.json: raise the
floors there when the assistant gets better, so that a regression cannot land unnoticed.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from evals import metrics as M
from evals.beir import read_qrels, read_trec_run, score_run, strictly_decreasing, write_trec_run
from evals.sets import SetProblem, contains_evidence, load_set, normalise, quote_in

THRESHOLDS = Path(__file__).resolve().parent.parent / "evals" / "thresholds.json"


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


def test_contains_evidence_is_any_quote():
    assert contains_evidence("The grade was good.", ["inadequate", "grade was good"])
    assert not contains_evidence("The grade was good.", ["inadequate"])
    assert not contains_evidence("The grade was good.", [])


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


def test_percentile_rate_mean_wilson():
    assert M.percentile([4, 1, 3, 2], 50) == pytest.approx(2.5)
    assert M.percentile([1, 2, 3, 4], 95) == pytest.approx(3.85)
    assert M.percentile([], 50) is None
    assert M.rate([True, False, True, True]) == 0.75 and M.rate([]) is None
    assert M.mean([1.0, None, 0.0]) == 0.5 and M.mean([None]) is None
    lo, hi = M.wilson_interval(5, 10)
    assert lo == pytest.approx(0.2366, abs=1e-4) and hi == pytest.approx(0.7634, abs=1e-4)


def test_best_threshold_by_hand():
    conf = [0.1, 0.5, 0.9, 0.2, 0.6]
    answerable = [True, True, True, False, False]
    right = [False, True, True, False, False]
    # t in (0.2, 0.5]: refuses 0.1 (answerable, wrong anyway) and 0.2 (unanswerable): 2 right + 1 refused = 3,
    # one false abstention; t in (0.6, 0.9] also scores 3 but with two false abstentions.
    best = M.best_threshold(conf, answerable, right)
    assert best["score"] == 3 and best["false_abstentions"] == 1
    assert best["interval"] == (0.2, 0.5) and best["threshold"] == pytest.approx(0.35)
    assert M.threshold_outcome(0.0, conf, answerable, right) == (2, 0, 0)
    # a forced refusal (unknown name) counts as refused at every threshold
    assert M.threshold_outcome(0.0, conf, answerable, right, [False, False, False, True, True]) == (4, 0, 2)


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


# ---------------------------------------------------------------- the CI gate


def test_gate_bounds_floor_to_two_decimals_minus_margin():
    from evals.report import gate_bounds

    got = gate_bounds({"answer_accuracy": 0.734, "false_abstention_rate": 0.0106, "ndcg@10": 0.01, "mrr@10": None})
    assert got == {"answer_accuracy": {"min": 0.71}, "false_abstention_rate": {"max": 0.04}, "ndcg@10": {"min": 0.0}}



@pytest.fixture(scope="module")
def croydon_hybrid():
    from evals.harness import croydon_spec, run_set, summarise

    spec = croydon_spec()
    rows = run_set(spec, ("hybrid",), progress=False, log=lambda *_: None)["hybrid"]
    return rows, summarise(rows, spec.settings.top_k)


def test_croydon_rows_are_readable(croydon_hybrid):
    rows, summary = croydon_hybrid
    own = [r for r in rows if not r.get("twin_of")]
    assert len(own) == summary["questions"] >= 100
    row = next(r for r in rows if r["answerable"] and not r["abstained"])
    for key in ("question", "query", "answer", "citations", "retrieved", "sentences", "outcome", "timings"):
        assert key in row
    assert set(row["timings"]) >= {"retrieve", "compose", "total"}
    json.dumps(rows)  # every row serialises


def test_follow_ups_are_paired_with_the_same_questions_asked_alone(croydon_hybrid):
    rows, summary = croydon_hybrid
    follow_ups = {r["id"]: r for r in rows if r.get("history")}
    alone = [r for r in rows if r.get("twin_of")]
    assert {r["twin_of"] for r in alone} == set(follow_ups)
    assert all(not r.get("history") and r["question"] != follow_ups[r["twin_of"]]["question"] for r in alone)
    # the standalone forms are measured apart: they change no other figure
    assert summary["followup_questions"] == len(follow_ups)
    assert len(summary["twin_pairs"]) == len(follow_ups)
    assert summary["twin_standalone_accuracy"] == sum(r["correct"] for r in alone) / len(alone)


def test_every_gold_quote_is_found_in_the_index(croydon_hybrid):
    """A loader or chunker change that splits or rewrites a gold passage would silently zero its metrics."""
    from assistant.pipeline import load_engine
    from evals.sets import unmatched_evidence

    engine = load_engine(None, None, "hybrid", log=lambda *_: None)
    chunks = [(c.doc, c.text) for c in engine.retriever.chunks]
    for name in ("croydon_dev", "croydon_paraphrase", "croydon_conversations"):  # the sets development reads
        path = Path(__file__).resolve().parent.parent / "evals" / f"{name}.jsonl"
        missing = unmatched_evidence(load_set(path), chunks)
        assert not missing, f"{path.name}: gold quotes found in no chunk (first: {missing[0]})"


def test_croydon_meets_thresholds(croydon_hybrid):
    """A regression below evals/thresholds.json fails CI; after an improvement, raise the floors there."""
    _, summary = croydon_hybrid
    gates = json.loads(THRESHOLDS.read_text(encoding="utf-8"))["croydon"]["hybrid"]
    failures = []
    for metric, bound in gates.items():
        value = summary[metric]
        if "min" in bound and value < bound["min"]:
            failures.append(f"{metric} = {value:.3f} < {bound['min']}")
        if "max" in bound and value > bound["max"]:
            failures.append(f"{metric} = {value:.3f} > {bound['max']}")
    assert not failures, "Croydon eval regressed (python -m evals for the report): " + "; ".join(failures)


def test_calibration_sweeps_the_sets_own_questions_only():
    """The standalone forms of follow-ups are a side measurement: they must not tilt the threshold."""
    from evals.harness import calibrate

    items = load_set()
    c = calibrate(progress=False, log=lambda *_: None)
    assert c["answerable"] == sum(it.answerable for it in items)
    assert c["unanswerable"] == sum(not it.answerable for it in items)
    assert not any(r.get("twin_of") for r in c["rows"])
