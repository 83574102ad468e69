"""Abbreviations a collection defines, found by the Schwartz–Hearst rule."""

from assistant.abbreviations import find_abbreviations, initialisms, long_form, singular


def test_long_form_is_the_shortest_run_of_words_spelling_the_short_form():
    assert long_form("IRO", "meetings with managers and independent reviewing officers ") == "independent reviewing officers"
    assert long_form("DfE", "The Department for Education ") == "department for education"
    assert long_form("MASH", "early help triage in the multi-agency safeguarding hub ") == "multi-agency safeguarding hub"
    assert long_form("XYZ", "nothing that spells it ") is None


def test_definitions_are_found_in_text_and_plurals_are_singular():
    found = find_abbreviations([
        "Social workers update assessments, and independent reviewing officers (IROs) ensure plans are met.",
        "The Department for Education (DfE) issued an order.",
        "Inspectors (see above) met the Children and Family Court Advisory and Support Service (Cafcass).",
    ])
    assert found == {"iro": "independent reviewing officers", "dfe": "department for education"}


def test_long_names_give_the_short_forms_their_initials_spell():
    found = initialisms([
        "The Children and Families Court Advisory and Support Service reported an improving picture.",
        "Ofsted inspects the Children and Family Court Advisory and Support Service.",
        "The Corporate Parenting Board met. The Community Protection Board did not.",
        "Croydon Council agreed.",
    ])
    # the joining words may give a letter or not; "Family" and "Families" are one name
    assert found["cafcass"] == "children and families court advisory and support service"
    assert found["cfcass"] == found["cafcass"]
    assert "cpb" not in found  # two names share it, so it stands for neither
    assert "cc" not in found  # two initials spell too much


def test_a_plural_short_form_loses_only_its_lower_case_s():
    assert singular("IROs") == "IRO"
    assert singular("NHSs") == "NHS"
    assert singular("CSS") == "CSS"
