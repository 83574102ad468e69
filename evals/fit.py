"""`python -m evals fit`: fit the answer stage's model on the TRAIN parts of the eval collections.

For every train question, the real pipeline retrieves and builds its candidate sentences
(`assistant.pipeline.evidence`); a sentence is a positive when it holds, or lies inside, a gold
quote. A logistic regression (scikit-learn) over the standardised features is fitted with each
collection weighing the same and each question the same within it, so that no one collection's
wording decides. Then, on the same train questions:

- the reader (`evals.tune`, `assistant.reader`): the embedding model's top layers tuned to single out a
  question's gold sentences among the likeliest, and the weight of its similarity (`Reading`), chosen on
  similarities from readers tuned on the other half of the questions;
- `extra` and `beside`: the shares of the best's probability a further sentence needs, and a sentence
  next to the best in its paragraph needs, chosen together so that the composed answers are right (as
  the harness scores them, `evals.harness.judge`) most often, averaged over collections;
- `answerable`: a second logistic regression, at the level of the question, over how likely its best
  sentences are, how well anything found matches it and the likeliest sentence's own signals
  (`assistant.answer.QUESTION_FEATURES`), fitted
  to tell answerable questions from unanswerable ones (each collection weighing the same). Its inputs
  are the sentence model's probabilities *out of fold* (five folds by question id, a follow-up with its
  standalone twin), as they are on questions the sentence model never saw: in-fold they are too sure;
- `abstain`: the answerable-probability below which a question is refused, chosen on the same
  out-of-fold figures to maximise, averaged over collections, half the share of answerable questions
  answered right plus half the share of unanswerable ones refused, with false refusals held to at most
  8% in each where possible.

The blind parts are never seen. The model is written to assistant/data/answer_model.json (or
--out), with what it was fitted on, and the reader beside it (reader.safetensors); a user can refit on their own labelled questions the same way.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

MAX_FALSE_REFUSALS = 0.08
FOLDS = 5
READ_TOP = 12  # the likeliest sentences the reader reads again
READ_WEIGHTS = (0.0, 1.0, 2.0, 3.0, 5.0, 7.0, 10.0, 15.0, 20.0, 30.0, 50.0)
NEVER_HELPS = {"q_unknown", "q_unknown_names"}  # signals whose weight may only lower a probability


def _positive(sentence: str, quotes: list[str]) -> bool:
    from evals.sets import quote_in

    return any(quote_in(q, sentence) or quote_in(sentence, q) for q in quotes)


def gather(names):
    """One record per train question: its collection, whether answerable, candidate features and labels."""
    from assistant.pipeline import evidence, understand
    from evals.collections import collect

    _usable_model()
    records = []
    for ready, case in collect(names, part="train"):
        engine = ready.engine()
        settings = ready.settings
        q = understand(case.question, case.history, engine, settings)
        _, _, cands, _ = evidence(q, engine, settings)
        x = np.stack([c.features for c in cands]) if cands else np.zeros((0, 0), np.float32)
        y = np.array([_positive(c.text, case.quotes) for c in cands], dtype=bool) if case.answerable else np.zeros(len(cands), bool)
        records.append({"collection": ready.name, "id": case.id, "answerable": case.answerable, "x": x, "y": y,
                        "cands": cands, "case": case, "years": q.years, "spec": ready.spec,
                        "documents": engine.documents, "question": q.text, "model": settings.model})
    return records


def _usable_model() -> None:
    """Engines load the packaged model; after the features changed, a neutral one stands in until refitted."""
    from assistant.answer import MODEL_FILE, AnswerModel
    from assistant.features import FEATURES

    try:
        AnswerModel.load()
    except (ValueError, KeyError, OSError):
        n = len(FEATURES)
        AnswerModel(FEATURES, np.zeros(n), np.ones(n), np.zeros(n), 0.0, 0.5, 1.0).save(MODEL_FILE, {"fitted": "neutral"})


def _weights(records) -> list[float]:
    """Each collection weighs the same, each question the same within it."""
    per_collection = defaultdict(int)
    for r in records:
        per_collection[r["collection"]] += 1
    return [1.0 / per_collection[r["collection"]] for r in records]


def fit_ranker(records, mean, scale, c_value: float) -> np.ndarray:
    """Weights that put a question's gold sentences above its others: a logistic regression on the
    differences of every (gold, other) pair of one question's candidates (a pairwise ranker, as in
    RankSVM), fitted without intercept."""
    from sklearn.linear_model import LogisticRegression

    ranked = [r for r in records if r["answerable"] and r["y"].any() and not r["y"].all()]
    xs, ys, ws = [], [], []
    for r, weight in zip(ranked, _weights(ranked)):
        x = (r["x"] - mean) / scale
        diff = (x[r["y"]][:, None, :] - x[~r["y"]][None, :, :]).reshape(-1, x.shape[1])
        xs += [diff, -diff]
        ys += [np.ones(len(diff)), np.zeros(len(diff))]
        ws.append(np.full(2 * len(diff), weight / (2 * len(diff))))
    x, y, w = np.concatenate(xs), np.concatenate(ys), np.concatenate(ws)
    model = LogisticRegression(C=c_value, fit_intercept=False, max_iter=3000)
    model.fit(x, y, sample_weight=w * len(w) / w.sum())
    return model.coef_[0]


def fit_logistic(records, c_value: float):
    """A pairwise ranker of one question's sentences, then its score calibrated into a probability
    together with what sets a question apart (the q_ features: how well anything found matches it),
    on every candidate of every question: an unanswerable question's are all negatives, so the
    probability is low where nothing answers and the refusal threshold has something to find. Both
    are linear, so the model stays one logistic regression over the features."""
    from sklearn.linear_model import LogisticRegression

    from assistant.features import ASKED, FEATURES

    used = [r for r in records if len(r["y"])]
    x = np.concatenate([r["x"] for r in used])
    mean, scale = _standardisation(x)
    ranker = fit_ranker(used, mean, scale, c_value)
    xs = (x - mean) / scale
    y = np.concatenate([r["y"] for r in used])
    w = np.concatenate([np.full(len(r["y"]), weight / len(r["y"])) for r, weight in zip(used, _weights(used))])
    asked = [FEATURES.index(name) for name in ASKED]
    while True:
        calibration = LogisticRegression(C=c_value, max_iter=3000).fit(
            np.column_stack([xs @ ranker, xs[:, asked]]), y, sample_weight=w * len(w) / w.sum())
        # what the collection never says cannot make an answer likelier: a signal fitted the wrong way
        # round (the train sets' unanswerable questions happen to use known words) is left out
        wrong = [i for i, c in zip(asked, calibration.coef_[0][1:]) if FEATURES[i] in NEVER_HELPS and c > 0]
        if not wrong:
            break
        asked = [i for i in asked if i not in wrong]
    coef = calibration.coef_[0][0] * ranker
    coef[asked] += calibration.coef_[0][1:]
    return mean, scale, coef, float(calibration.intercept_[0])


def _by_collection(records):
    groups = defaultdict(list)
    for r in records:
        groups[r["collection"]].append(r)
    return groups


def answers_right(records, model) -> dict[str, bool]:
    """Whether each answerable question's composed answer is right, as the harness scores it
    (`evals.harness.judge`: the set's own rule, and a cited passage holding gold evidence), never refusing."""
    from dataclasses import replace

    from assistant.answer import compose
    from evals.harness import judge

    always = replace(model, abstain=0.0)
    right = {}
    for r in records:
        if not r["answerable"] or not r["cands"]:
            right[r["id"]] = False
            continue
        a = compose(r["cands"], always, r["documents"], years=r["years"], read=_read(r))
        right[r["id"]] = judge(r["case"], r["spec"], a.text, False, [c.to_dict() for c in a.citations])["correct"]
    return right


def _per_collection_mean(records, value) -> float:
    groups = _by_collection([r for r in records if r["answerable"]])
    return float(np.mean([np.mean([value(r) for r in rs]) for rs in groups.values()]))


def choose_extra(records, model) -> tuple[float, float, dict[str, bool]]:
    """The shares of the best probability a further sentence needs (`extra`) and a sentence beside the
    best in its paragraph needs (`beside`): those whose answers are right most often, averaged over
    collections; and which answers are right with them."""
    from dataclasses import replace

    best = None
    for ratio in np.round(np.arange(0.3, 1.0, 0.05), 2):
        for beside in np.round(np.arange(0.0, ratio + 0.01, 0.1), 2):
            right = answers_right(records, replace(model, extra=float(ratio), beside=float(beside)))
            value = _per_collection_mean(records, lambda r: right[r["id"]])
            if best is None or value > best[0]:
                best = (value, float(ratio), float(beside), right)
    return best[1], best[2], best[3]


def _standardisation(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each column's mean and spread (1 where it is constant), to standardise by."""
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    return mean, scale


def _fold(case_id: str) -> int:
    from evals.sets import base_id

    return int(hashlib.sha256(f"fold:{base_id(case_id)}".encode()).hexdigest()[:8], 16) % FOLDS


def fold_models(records, c_value: float) -> dict[int, object]:
    """Each fold's sentence model, fitted on the other folds."""
    from assistant.answer import AnswerModel
    from assistant.features import FEATURES

    return {k: AnswerModel(FEATURES, *fit_logistic([r for r in records if _fold(r["id"]) != k], c_value), 0.0, 1.0)
            for k in range(FOLDS)}


def out_of_fold(records, folds: dict, reading=None) -> dict[str, np.ndarray]:
    """Each question's QUESTION_FEATURES, its sentences scored by the model of its fold (fitted on the
    other folds), read by a reader not tuned on it (a question without sentences has none)."""
    from dataclasses import replace

    from assistant.answer import question_features, score

    return {r["id"]: question_features(score(r["cands"], replace(folds[_fold(r["id"])], reading=reading), _read(r)))
            for r in records if r["cands"]}


def _read(r):
    """The reader's similarities for a train question's sentences, from a reader not tuned on it
    (NaN for a sentence it did not read)."""
    read = r.get("read")
    return None if read is None else (lambda texts: np.array([read.get(t, np.nan) for t in texts]))


def _ranked(model, r, read=None) -> list[int]:
    """A train question's candidates' indices, likeliest first."""
    from assistant.answer import score

    at = {id(c): i for i, c in enumerate(r["cands"])}
    return [at[id(c)] for c in score(r["cands"], model, read)]


def fit_reader(records, folds: dict, draft, out: Path):
    """Tune the reader (evals.tune) and how much it counts (`Reading`): two readers, each tuned on half
    the questions, read the other half's likeliest sentences (by the fold models and by the draft), so
    that every train question has similarities from a reader that never saw it; the weight is the one
    that ranks a gold sentence first most often on them, averaged over collections. The reader shipped
    is tuned on all the questions. None when the embedding model cannot be tuned (not a BERT folder)."""
    from dataclasses import replace

    from assistant.answer import Reading
    from assistant.embedding import Embedder
    from assistant.encoder import BertEncoder
    from assistant.reader import Reader
    from evals import tune

    encoder = Embedder(records[0]["model"]).model
    if not isinstance(encoder, BertEncoder):
        return None
    weights = dict(zip((r["id"] for r in records), _weights(records)))
    picks = {}
    for r in records:
        if r["cands"]:
            fold = _ranked(folds[_fold(r["id"])], r)
            picks[r["id"]] = (fold[:READ_TOP], sorted(set(fold[: 2 * READ_TOP]) | set(_ranked(draft, r)[:READ_TOP])))

    def examples(rs):
        out = []
        for r in rs:
            if r["id"] in picks and r["answerable"] and r["y"].any():
                chosen = sorted(set(picks[r["id"]][0]) | set(np.flatnonzero(r["y"]).tolist()))
                out.append(tune.Example(r["question"], [r["cands"][i].text for i in chosen],
                                        [bool(r["y"][i]) for i in chosen], weights[r["id"]]))
        return out

    for half in (0, 1):
        reader = Reader(encoder, tune.tune(encoder, examples([r for r in records if _fold(r["id"]) % 2 != half])))
        for r in records:
            if _fold(r["id"]) % 2 == half and r["id"] in picks:
                texts = [r["cands"][i].text for i in picks[r["id"]][1]]
                r["read"] = dict(zip(texts, reader.similarities(r["question"], texts)))
    tune.save(encoder, tune.tune(encoder, examples(records)), out)
    read = np.concatenate([list(r["read"].values()) for r in records if r.get("read")])
    centre = float(np.median(read))

    def first_right(weight):
        reading = Reading(READ_TOP, weight, centre)
        return _per_collection_mean([r for r in records if r["y"].any()], lambda r: bool(
            r["y"][_ranked(replace(folds[_fold(r["id"])], reading=reading), r, _read(r))[0]]))

    weight = max(READ_WEIGHTS, key=lambda w: (round(first_right(w), 6), -w))
    return Reading(READ_TOP, float(weight), centre) if weight > 0 else None


def fit_answerable(records, rows: dict[str, np.ndarray], c_value: float):
    """The question-level logistic regression (answerable or not) on each question's `rows`, and each
    question's probability from it (0 without sentences: it is refused)."""
    from sklearn.linear_model import LogisticRegression

    from assistant.answer import Logistic

    used = [r for r in records if r["id"] in rows]
    x = np.stack([rows[r["id"]] for r in used])
    # a question whose sentences the reader did not read (no reader) has its signal at the average
    x = np.where(np.isnan(x), [np.nanmean(c) if not np.isnan(c).all() else 0.0 for c in x.T], x)
    y = np.array([r["answerable"] for r in used])
    w = np.array(_weights(used))
    mean, scale = _standardisation(x)
    fitted = LogisticRegression(C=c_value, max_iter=3000).fit((x - mean) / scale, y, sample_weight=w * len(w) / w.sum())
    model = Logistic(mean, scale, fitted.coef_[0], float(fitted.intercept_[0]))
    scores = dict.fromkeys((r["id"] for r in records), 0.0)
    scores.update(zip((r["id"] for r in used), model.probabilities(x)))
    return model, scores


def choose_abstain(records, scores: dict[str, float], right, max_false: float = MAX_FALSE_REFUSALS) -> tuple[float, dict]:
    """The refusal threshold on each question's answerable-probability `scores` (see the module's
    docstring) and what it gives per collection."""
    groups = _by_collection(records)

    def outcome(t):
        per = {}
        for name, rs in groups.items():
            ans = [r for r in rs if r["answerable"]]
            una = [r for r in rs if not r["answerable"]]
            answered_right = sum(right[r["id"]] and scores[r["id"]] >= t for r in ans) / max(1, len(ans))
            refused = sum(scores[r["id"]] < t for r in una) / len(una) if una else None
            false = sum(scores[r["id"]] < t for r in ans) / max(1, len(ans))
            per[name] = {"answered_right": answered_right, "refused_unanswerable": refused, "false_refusals": false}
        return per

    def value(per):
        return np.mean([0.5 * v["answered_right"] + 0.5 * (v["refused_unanswerable"] if v["refused_unanswerable"]
                        is not None else v["answered_right"]) for v in per.values()])

    grid = np.round(np.arange(0.01, 0.99, 0.01), 2)
    scored = [(t, outcome(t)) for t in grid]
    allowed = [(t, per) for t, per in scored if max(v["false_refusals"] for v in per.values()) <= max_false]
    t, per = max(allowed or scored, key=lambda tp: (value(tp[1]), -tp[0]))
    return float(t), per


def main(argv=None) -> int:
    from dataclasses import replace

    from assistant.answer import MODEL_FILE, QUESTION_FEATURES, AnswerModel
    from assistant.features import FEATURES
    from assistant.reader import READER_FILE

    p = argparse.ArgumentParser(prog="python -m evals fit", description=__doc__.split("\n")[0])
    p.add_argument("--collections", default=None, help="comma-separated (default: every collection with data)")
    p.add_argument("--out", type=Path, default=MODEL_FILE)
    p.add_argument("--reader-out", type=Path, default=None,
                   help=f"where the tuned reader is written (default: {READER_FILE.name} beside --out)")
    p.add_argument("--no-reader", action="store_true", help="fit the answer model alone (minutes, not a quarter hour)")
    p.add_argument("--c", type=float, default=1.0, help="inverse regularisation strength")
    p.add_argument("--max-false-refusals", type=float, default=MAX_FALSE_REFUSALS,
                   help="the share of answerable questions any one collection may see refused")
    args = p.parse_args(argv)
    args.reader_out = args.reader_out or args.out.with_name(READER_FILE.name)
    t0 = time.time()
    records = gather(args.collections)
    mean, scale, coef, intercept = fit_logistic(records, args.c)
    draft = AnswerModel(FEATURES, mean, scale, coef, intercept, 0.0, 1.0)
    folds = fold_models(records, args.c)
    reading = None if args.no_reader else fit_reader(records, folds, draft, args.reader_out)
    draft = replace(draft, reading=reading)
    extra, beside, right = choose_extra(records, draft)
    answerable, scores = fit_answerable(records, out_of_fold(records, folds, reading), args.c)
    abstain, per = choose_abstain(records, scores, right, args.max_false_refusals)
    counts = defaultdict(lambda: [0, 0])
    for r in records:
        counts[r["collection"]][0 if r["answerable"] else 1] += 1
    about = {"fitted": time.strftime("%Y-%m-%d"), "command": "python -m evals fit", "C": args.c,
             "train_questions": {k: {"answerable": a, "unanswerable": u} for k, (a, u) in counts.items()},
             "on_train": per}
    model = AnswerModel(FEATURES, mean, scale, coef, intercept, abstain, extra, answerable, beside, reading)
    model.save(args.out, about)
    print(f"fitted on {len(records)} train questions in {time.time() - t0:.0f} s -> {args.out}", file=sys.stderr)
    for name, w in sorted(zip(FEATURES, coef), key=lambda t: -abs(t[1])):
        print(f"  {name:12s} {w:+.3f}")
    print("answerable:")
    for name, w in sorted(zip(QUESTION_FEATURES, answerable.coef), key=lambda t: -abs(t[1])):
        print(f"  {name:12s} {w:+.3f}")
    if reading is not None:
        print(f"reader: the {reading.top} likeliest sentences read again, weight {reading.weight:.1f} around {reading.centre:.3f} -> {args.reader_out}")
    print(f"abstain below {abstain:.2f} (answerable, out of fold); a further sentence needs {extra:.2f} of the best's probability, one beside it {beside:.2f}")
    for name, v in per.items():
        print(f"  {name:8s} " + ", ".join(f"{k} {'-' if x is None else f'{x:.2f}'}" for k, x in v.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
