"""The Ofsted pack's grades: sentences that state one, questions that ask for one."""

import pytest

from assistant import nlp
from assistant.packs.ofsted.grades import entity_kinds, wants
from assistant.questions import analyse


@pytest.mark.parametrize("text, states", [
    ("Overall effectiveness: Requires improvement to be good.", True),
    ("Children’s services in Bromley are inadequate.", True),
    ("The inspection judged the council's services as 'good'.", True),
    ("Good quality supervision helps most staff.", False),
    ("Experiences must be good for overall effectiveness to be judged good.", False),
])
def test_a_sentence_stating_a_grade_holds_a_judgement(text, states):
    assert bool(entity_kinds([text])[0] & nlp.JUDGEMENT) is states


def test_questions_asking_how_something_was_rated_want_a_judgement_and_which_inspector_a_person():
    assert analyse("How were children's services in Bromley rated overall in 2016?").wants & nlp.JUDGEMENT
    assert analyse("What grade did Camden get?").wants & nlp.JUDGEMENT
    assert analyse("Which inspector led the 2023 inspection of Bexley?").wants & nlp.PERSON
    assert wants("How many children were in care?") == 0


def test_the_sentence_table_carries_the_packs_kinds(tmp_path):
    from assistant import sentences
    from assistant.embedding import Embedder
    from assistant.settings import load_settings
    from assistant.types import Chunk

    table = sentences.build([Chunk(id="a#1", doc="a", ref="¶1", text="Overall effectiveness: Good")],
                            Embedder(load_settings().model), tmp_path)
    assert table.kinds[0] & nlp.JUDGEMENT
