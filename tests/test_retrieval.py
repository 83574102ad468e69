"""Hybrid retrieval: fusion, baselines, and one citation per near-duplicate, from the primary source."""

import pytest

from assistant.pipeline import load_engine
from assistant.retrieval import HybridRetriever, rrf

LETTER = "2018-10-ofsted-monitoring-letter.txt"
NEWS = "2018-11-news-croydon-making-progress.txt"


def test_rrf_rewards_agreement_between_rankings():
    fused = rrf([[1, 2, 3], [3, 1, 4]], k=60)
    assert max(fused, key=fused.get) == 1  # first and second beats third and first
    assert fused[3] > fused[2] and fused[4] < fused[2]
    assert fused[1] == pytest.approx(1 / 61 + 1 / 62)


@pytest.fixture(scope="module")
def engine(store_settings):
    return load_engine(None, store_settings, log=lambda *a: None)  # the index files, then PostgreSQL


def test_modes_are_the_eval_baselines(engine):
    for mode in ("dense", "bm25", "hybrid"):
        r = HybridRetriever(engine.retriever.embedder, mode).fit(engine.retriever.index)
        hits = r.search("average caseload of social workers in the corporate parenting service", 5)
        assert any("14 to 15 children" in h.chunk.text for h in hits), mode
    with pytest.raises(ValueError):
        HybridRetriever(engine.retriever.embedder, "magic")


def test_lexical_finds_exact_figures(engine):
    hits = engine.retriever.search("agency rate of 41%", 3)
    assert "41%" in hits[0].chunk.text


def test_a_word_and_its_ing_form_match_in_bm25():
    from assistant.retrieval import LexicalRetriever

    bm25 = LexicalRetriever().fit(["The turnover of staff is high.", "Caseloads are manageable."])
    assert [i for i, _ in bm25.search("staffing", 2)] == [0]  # "staffing" finds "staff", and nothing else


def test_news_rewrite_collapses_into_the_primary_letter(engine):
    hits = engine.retriever.search("Staff morale in the leaving care service is high", 10)
    docs = [h.chunk.doc for h in hits]
    assert docs[0] == LETTER
    # The news story repeats the letter's sentence; it is folded into the letter's passage.
    assert not any(h.chunk.doc == NEWS and "Staff morale in the leaving care service is high" in h.chunk.text
                   for h in hits)


def test_a_question_naming_years_hears_each_years_documents(engine):
    from assistant.features import doc_year
    from assistant.pipeline import query_of, search
    from assistant.questions import analyse

    q = analyse("How did caseloads change between 2018 and 2024?")
    query = query_of(q, engine.vocab)
    hits = search(engine.retriever, q, query, engine.retriever.embedder.encode_query(query), 6)
    years = [doc_year(engine.documents[h.chunk.doc]) for h in hits]
    assert {2018, 2024} <= set(years[:2]), years  # the runs are interleaved: each year's best comes first
