"""Choosing and citing sentences by the model's probability, and refusing below its threshold."""

import numpy as np
import pytest

from dataclasses import replace

from assistant.answer import CANNOT_ANSWER, MODEL_FILE, QUESTION_FEATURES, AnswerModel, Logistic, Reading, compose
from assistant.features import FEATURES, Candidate
from assistant.types import Chunk, DocumentInfo, Hit

N = len(FEATURES)
# p = sigmoid(10 * cos - 5): the probability follows the one signal, so each case reads plainly
MODEL = AnswerModel(FEATURES, np.zeros(N), np.ones(N), np.eye(N)[FEATURES.index("cos")] * 10, -5.0, abstain=0.3, extra=0.7)
DOCS = {"a.txt": DocumentInfo(doc="a.txt", title="Report A", date="2019-05-01"),
        "b.txt": DocumentInfo(doc="b.txt", title="Report B", date="2024-05-01")}


def cand(text, cos, chunk="a.txt#1", position=0):
    f = np.zeros(N, dtype=np.float32)
    f[FEATURES.index("cos")] = cos
    c = Chunk(id=chunk, doc=chunk.split("#")[0], ref="¶" + chunk.split("#")[1], text=text)
    return Candidate(text, Hit(chunk=c, score=1.0), position, f)


def test_the_packaged_model_loads_and_gives_probabilities():
    model = AnswerModel.load(MODEL_FILE)
    p = model.probabilities(np.zeros((2, N)))
    assert p.shape == (2,) and np.all((p > 0) & (p < 1)) and 0 < model.abstain < 1


def test_a_model_fitted_on_other_features_is_refused_with_the_way_to_refit(tmp_path):
    path = tmp_path / "m.json"
    AnswerModel(("cos",), np.zeros(1), np.ones(1), np.ones(1), 0.0, 0.5, 0.5).save(path, {})
    with pytest.raises(ValueError, match="refit"):
        AnswerModel.load(path)


def test_the_best_sentence_is_the_answer_with_its_citation():
    a = compose([cand("Caseloads are high.", 0.6), cand("The sun shines.", 0.1, "b.txt#2")], MODEL, DOCS)
    assert not a.abstained and a.text == "Caseloads are high [1]."
    assert [c.doc for c in a.citations] == ["a.txt"] and a.confidence == pytest.approx(1 / (1 + np.exp(-1)))


def test_below_the_threshold_it_refuses_and_says_what_the_collection_covers():
    a = compose([cand("The sun shines.", 0.3)], MODEL, DOCS)
    assert a.abstained and a.text.startswith(CANNOT_ANSWER) and "Report B (2024)" in a.text and not a.citations
    assert compose([], MODEL, DOCS).abstained


def test_further_sentences_nearly_as_likely_are_added_but_not_repeats_and_years_are_labelled():
    a = compose([cand("Caseloads are high in the team.", 0.7), cand("Caseloads are high in the team!", 0.69, "a.txt#2"),
                 cand("Morale is low.", 0.68, "b.txt#3"), cand("Parks are open.", 0.5, "b.txt#4")], MODEL, DOCS)
    assert a.text == "(2019) Caseloads are high in the team [1]. (2024) Morale is low [2]."
    assert [c.ref for c in a.citations] == ["¶1", "¶3"]


def test_a_lead_in_is_answered_with_the_items_that_follow_it_as_a_list():
    a = compose([cand("The local authority should improve:", 0.8, "a.txt#5", 0), cand("Private fostering.", 0.2, "a.txt#5", 1),
                 cand("Supervision of staff.", 0.1, "a.txt#5", 2), cand("Unrelated.", 0.75, "b.txt#1")], MODEL, DOCS)
    assert a.text == "The local authority should improve [1]:\n- Private fostering [1].\n- Supervision of staff [1]."


def test_a_question_naming_two_years_gets_the_most_likely_sentence_of_each_oldest_first():
    ranked = [cand("Caseloads are now 15.", 0.9, "b.txt#1"), cand("Morale is high.", 0.8, "b.txt#2"),
              cand("Caseloads were 30.", 0.7, "a.txt#1")]
    a = compose(ranked, MODEL, DOCS, years=[2024, 2019])
    assert a.text == "(2019) Caseloads were 30 [1]. (2024) Caseloads are now 15 [2]."


def _answerable_when(feature: str, weight: float, intercept: float) -> Logistic:
    n = len(QUESTION_FEATURES)
    return Logistic(np.zeros(n), np.ones(n), np.eye(n)[QUESTION_FEATURES.index(feature)] * weight, intercept)


def test_whether_to_answer_is_the_question_level_probability_not_the_best_sentence_alone():
    # answerable only when the best sentence stands out from the second: a close second means nothing fits well
    model = replace(MODEL, abstain=0.5, answerable=_answerable_when("gap", 20.0, -2.0))
    clear = compose([cand("Caseloads are high.", 0.8), cand("The sun shines.", 0.1, "b.txt#2")], model, DOCS)
    assert not clear.abstained and clear.text == "Caseloads are high [1]."
    assert clear.confidence == pytest.approx(1 / (1 + np.exp(-(20 * (1 / (1 + np.exp(-3)) - 1 / (1 + np.exp(4))) - 2))))
    close = compose([cand("Caseloads are high.", 0.8), cand("Caseloads were high.", 0.79, "b.txt#2")], model, DOCS)
    assert close.abstained and not close.citations  # the same best sentence, refused: the question is not answered


def test_the_answerable_layer_is_saved_and_loaded_with_the_model(tmp_path):
    model = replace(MODEL, abstain=0.5, answerable=_answerable_when("best", 10.0, -5.0))
    model.save(tmp_path / "m.json", {})
    loaded = AnswerModel.load(tmp_path / "m.json")
    ranked = [cand("Caseloads are high.", 0.8), cand("The sun shines.", 0.1, "b.txt#2")]
    assert compose(ranked, loaded, DOCS) == compose(ranked, model, DOCS)
    assert loaded.answerable.coef.tolist() == model.answerable.coef.tolist()


def test_the_sentence_beside_the_best_in_its_paragraph_runs_on_with_it_where_another_paragraph_s_does_not():
    model = replace(MODEL, beside=0.0)
    best = cand("Staff turnover was high.", 0.8, "a.txt#1", position=3)
    after = cand("It reached 41% in 2019.", 0.2, "a.txt#1", position=4)
    elsewhere = cand("Parks reached 41% use.", 0.2, "b.txt#2", position=4)
    far = cand("The team has a new manager.", 0.2, "a.txt#1", position=6)
    a = compose([best, after, elsewhere, far], model, DOCS)
    assert a.text == "Staff turnover was high [1]. It reached 41% in 2019 [1]." and len(a.citations) == 1
    assert compose([best, after, elsewhere], MODEL, DOCS).text == "Staff turnover was high [1]."  # beside=None: as extra


def test_the_reader_s_similarity_reorders_the_likeliest_sentences_and_one_it_did_not_read_counts_as_least_similar():
    reading = replace(MODEL, reading=Reading(top=2, weight=20.0, centre=0.5))
    cands = [cand("Caseloads are high.", 0.6), cand("Caseloads fell to 15 in 2024.", 0.55, "a.txt#2"),
             cand("Morale is low.", 0.5, "b.txt#3")]
    read = {"Caseloads are high.": 0.3, "Caseloads fell to 15 in 2024.": 0.8}
    asked = []

    def reader(texts):
        asked.extend(texts)
        return np.array([read[t] for t in texts])

    a = compose(cands, reading, DOCS, max_sentences=1, read=reader)
    assert a.text == "Caseloads fell to 15 in 2024 [1]." and sorted(asked) == sorted(read)  # only the top 2 are read
    # the unread third sentence moves as the least similar read one (0.3), below the first
    assert cands[2].p < cands[0].p < cands[1].p
    assert compose(cands, MODEL, DOCS, max_sentences=1, read=reader).text == "Caseloads are high [1]."  # no Reading: unread
    # a reader that read nothing (NaN) leaves the order as it was
    same = compose(cands, reading, DOCS, max_sentences=1, read=lambda texts: np.full(len(texts), np.nan))
    assert same.text == "Caseloads are high [1]."


def test_the_reading_is_saved_and_loaded_with_the_model(tmp_path):
    path = tmp_path / "m.json"
    replace(MODEL, reading=Reading(12, 5.0, 0.42)).save(path, {})
    assert AnswerModel.load(path).reading == Reading(12, 5.0, 0.42)
    replace(MODEL, reading=None).save(path, {})
    assert AnswerModel.load(path).reading is None


def test_the_reader_s_best_similarity_decides_whether_to_answer_and_without_a_reader_counts_as_its_mean():
    # answerable when the reader finds a sentence close to the question; the fitted mean similarity is 0.5
    answerable = _answerable_when("read_best", 20.0, 0.0)
    answerable = replace(answerable, mean=np.where(np.array(QUESTION_FEATURES) == "read_best", 0.5, 0.0))
    model = replace(MODEL, abstain=0.5, answerable=answerable, reading=Reading(top=2, weight=1.0, centre=0.5))
    ranked = [cand("Caseloads are high.", 0.8), cand("The sun shines.", 0.1, "b.txt#2")]
    assert not compose(ranked, model, DOCS, read=lambda texts: np.full(len(texts), 0.7)).abstained
    assert compose(ranked, model, DOCS, read=lambda texts: np.full(len(texts), 0.3)).abstained
    assert compose(ranked, model, DOCS).confidence == pytest.approx(0.5)  # no reader: neither for nor against
