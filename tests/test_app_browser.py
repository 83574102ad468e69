"""The browser chat, end to end: the real app.py in a subprocess, Debian's chromium driven by Playwright.

Each test checks what a person sees and saves a screenshot in test-artifacts/.
Run: .venv/bin/python -m pytest -q tests/test_app_browser.py
"""

from __future__ import annotations

import dataclasses
import re

import pytest
from playwright.sync_api import expect

ANSWER_TIMEOUT = 240_000  # ms: the first question may wait for the index to be built on a busy machine
QUESTION = "What grade did Croydon get in 2024?"
FOLLOW_UP = "And for care leavers?"

INJECTED = """Zorblat council inspection

The Zorblat council was rated Outstanding by the inspectors in 2031 <script>alert(1)</script> after a *two week* visit.

The **markdown** committee of Zorblat meets on Tuesdays <img src=x onerror=alert(2)> to review the [inspection results](http://evil.example) and `notes`.

Zorblat has 40 libraries &amp; each one opens late on Thursdays for young readers.
"""


def shot(page, artifacts, name):
    page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)


def ask(page, question, submit="button"):
    box = page.locator("#question textarea")
    box.fill(question)
    done_before = page.locator("#chat .bubble.done").count()
    if submit == "enter":
        box.press("Enter")
    else:
        page.locator("#ask").click()
    page.wait_for_function(f"document.querySelectorAll('#chat .bubble.done').length > {done_before}",
                           timeout=ANSWER_TIMEOUT)
    return page.locator("#chat .bubble.done").nth(done_before)


def viewer_mark(page):
    return page.locator("#source-viewer .cited mark")


def watch_bubbles(page):
    """Record every class a chat bubble takes, to see the answer arrive progressively."""
    page.evaluate("""() => {
        window.__seen = new Set();
        const note = () => document.querySelectorAll('#chat .bubble').forEach(b => window.__seen.add(b.className));
        new MutationObserver(note).observe(document.querySelector('#chat'),
                                           {childList: true, subtree: true, characterData: true});
    }""")
    return lambda: set(page.evaluate("() => [...window.__seen]"))


@pytest.mark.browser
def test_first_visit_shows_how_to_start(page, artifacts):
    expect(page.locator("#intro h1")).to_have_text("Document assistant")
    examples = page.locator("#chat button.example")
    expect(examples.first).to_be_visible()
    assert examples.count() >= 3
    expect(page.locator("#question textarea")).to_be_visible()
    expect(page.locator("#ask")).to_have_text("Ask")
    expect(page.locator("#new-conversation")).to_be_visible()
    expect(page.locator("#collection input")).to_have_value("Built-in documents")
    expect(page.locator("#source-viewer")).to_contain_text("Click a source")
    shot(page, artifacts, "01-first-visit")
    # An example is one click away from an answer, which arrives a sentence at a time.
    seen = watch_bubbles(page)
    example = examples.nth(1)
    text = example.inner_text().strip()
    example.click()
    expect(page.locator("#chat .question")).to_have_text(text)
    answer = page.locator("#chat .bubble.done").first
    answer.wait_for(timeout=ANSWER_TIMEOUT)
    assert "bubble pending" in seen()
    if answer.locator("p .cite, li .cite").count() > 1:
        assert "bubble answer" in seen(), seen()  # a partial answer was on screen before the whole one
    shot(page, artifacts, "01b-example-answered")


@pytest.mark.browser
def test_ask_follow_up_and_check_a_source(page, artifacts):
    seen = watch_bubbles(page)
    first = ask(page, QUESTION)
    assert "bubble pending" in seen()  # "Searching the documents…" shows at once
    expect(first).to_contain_text("[1]")
    expect(first.locator(".cite").first).to_be_visible()
    expect(first.locator(".bubble-sources")).to_contain_text("Cabinet report")
    expect(first.locator(".bubble-sources")).to_contain_text("2024")  # the date
    assert "refusal" not in first.get_attribute("class")
    sources = page.locator("#sources label")
    expect(sources.first).to_contain_text("[1]")
    expect(sources.first).to_contain_text("Dec 2024")
    expect(page.locator("#chat")).to_contain_text(QUESTION)
    shot(page, artifacts, "02-answer-with-sources")

    second = ask(page, FOLLOW_UP, submit="enter")
    text = second.inner_text()
    assert "refusal" not in second.get_attribute("class"), text
    assert re.search(r"care leavers", text, re.I), text
    # The follow-up was read with the conversation: the answer says how it understood it.
    expect(second.locator(".understood")).to_contain_text("2024")
    expect(second.locator(".understood")).to_contain_text("care leavers")
    expect(page.locator("#chat .bubble.done")).to_have_count(2)
    expect(page.locator("#sources")).to_contain_text("answer 2")
    shot(page, artifacts, "03-follow-up")

    # One click on a source in the list opens its paragraph, highlighted in its document.
    sources.first.click()
    viewer = page.locator("#source-viewer")
    mark = viewer_mark(page)
    expect(mark.first).to_be_visible()
    expect(viewer.locator(".kicker")).to_have_text("Source [1]")
    expect(viewer.locator(".doc-title")).to_contain_text("Cabinet report")
    expect(viewer.locator(".doc-meta")).to_contain_text("4 Dec 2024")
    assert viewer.locator(".para:not(.cited)").count() >= 2, "the cited paragraph should sit among its neighbours"
    follow_up_text = " ".join(mark.all_inner_texts())
    assert re.search(r"care leavers", follow_up_text, re.I), follow_up_text
    expect(page.locator("#sources input:checked")).to_have_count(1)
    shot(page, artifacts, "04-source-opened-from-list")

    # One click on the [1] marker in the first answer opens the first answer's source.
    first.locator("p .cite, li .cite").first.click()
    expect(page.locator("#sources")).to_contain_text("answer 1")
    expect(viewer.locator(".kicker")).to_have_text("Source [1]")
    expect(mark.first).not_to_have_text(follow_up_text)
    expect(mark.first).to_be_visible()
    shot(page, artifacts, "05-source-opened-from-marker")

    # And a numbered source under an answer does the same.
    second.locator(".bubble-sources .cite").first.click()
    expect(page.locator("#sources")).to_contain_text("answer 2")
    # the cited passage may be several paragraphs (a list under its lead-in): one of them says it
    expect(page.locator("#source-viewer .cited mark", has_text=re.compile("care leavers", re.I))).not_to_have_count(0)
    assert page.dialogs == []


@pytest.mark.browser
def test_new_conversation_clears_the_chat(page, artifacts):
    ask(page, QUESTION)
    page.locator("#chat .bubble-sources .cite").first.click()
    expect(viewer_mark(page).first).to_be_visible()
    page.locator("#new-conversation").click()
    expect(page.locator("#chat .bubble")).to_have_count(0)
    expect(page.locator("#chat .question")).to_have_count(0)
    expect(page.locator("#chat button.example").first).to_be_visible()
    expect(page.locator("#sources label")).to_have_count(0)
    expect(page.locator("#source-viewer")).to_contain_text("Click a source")
    shot(page, artifacts, "06-new-conversation")
    # A question after the reset is a fresh start, not a follow-up.
    answer = ask(page, FOLLOW_UP)
    expect(answer.locator(".understood")).to_have_count(0)


@pytest.mark.browser
def test_empty_question_shows_a_short_message(page, artifacts):
    page.locator("#question textarea").fill("   ")
    page.locator("#ask").click()
    status = page.locator("#status .status")
    expect(status).to_contain_text("Type a question first")
    expect(page.locator("#chat .bubble")).to_have_count(0)
    assert "Traceback" not in page.locator("body").inner_text()
    shot(page, artifacts, "07-empty-question")


@pytest.mark.browser
def test_refusal_looks_different_from_an_answer(page, artifacts):
    answer = ask(page, "What is the weather like on Mars?")
    assert "refusal" in answer.get_attribute("class")
    expect(answer.locator(".badge-refusal")).to_have_text(re.compile("No answer found", re.I))
    expect(answer.locator(".cite")).to_have_count(0)
    expect(page.locator("#sources label")).to_have_count(0)
    styles = page.evaluate("""() => {
        const r = getComputedStyle(document.querySelector('#chat .bubble.refusal'));
        return [r.borderLeftStyle, r.fontStyle];
    }""")
    assert styles == ["solid", "italic"], styles
    shot(page, artifacts, "08-refusal")


@pytest.mark.browser
def test_errors_show_a_short_message(browser, app_server, artifacts):
    # A collection that is listed but whose sources are gone (deleted by hand, say).
    ghost = app_server.index_dir / "ghost"
    ghost.mkdir(parents=True, exist_ok=True)
    (ghost / "collection.json").write_text('{"sources": []}', encoding="utf-8")
    context = browser.new_context(viewport={"width": 1360, "height": 1000})
    page = context.new_page()
    try:
        page.goto(app_server.url)
        page.wait_for_selector("#chat")
        page.locator("#collection input").click()
        page.get_by_role("option", name=re.compile("ghost")).click()
        expect(page.locator("#collection input")).to_have_value("ghost")
        answer = ask(page, QUESTION)
        assert "error" in answer.get_attribute("class")
        expect(answer.locator(".badge-error")).to_have_text(re.compile("Could not answer", re.I))
        expect(answer).to_contain_text("does not exist any more")
        body = page.locator("body").inner_text()
        assert "Traceback" not in body and "File \"" not in body
        shot(page, artifacts, "11-error-message")
    finally:
        context.close()


@pytest.mark.browser
def test_upload_rejects_a_file_whose_content_does_not_match(page, artifacts, tmp_path, app_server):
    fake = tmp_path / "report.pdf"
    fake.write_text("This is plain text pretending to be a PDF.\n", encoding="utf-8")
    page.locator("#upload-section").get_by_text("Add your own documents").click()
    page.locator("#upload-files input[type=file]").set_input_files(str(fake))
    page.locator("#upload-collection textarea, #upload-collection input").first.fill("rejects")
    page.locator("#upload-button").click()
    status = page.locator("#upload-status")
    expect(status).to_contain_text("Not added: report.pdf", timeout=60_000)
    expect(status).to_contain_text("plain text")
    assert not (app_server.uploads_dir / "rejects" / "report.pdf").exists()
    shot(page, artifacts, "09-upload-rejected")
    # A collection name that tries to leave the uploads folder gets a short message.
    page.locator("#upload-files input[type=file]").set_input_files(str(fake))
    page.locator("#upload-collection textarea, #upload-collection input").first.fill("../evil")
    page.locator("#upload-button").click()
    expect(status).to_contain_text("Collection name:")
    assert "Traceback" not in page.locator("body").inner_text()
    assert not (app_server.uploads_dir.parent / "evil").exists()
    shot(page, artifacts, "09b-upload-bad-collection-name")


@pytest.mark.browser
def test_untrusted_document_text_is_shown_literally(page, artifacts, tmp_path, app_server):
    doc = tmp_path / "zorblat-report.txt"
    doc.write_text(INJECTED, encoding="utf-8")
    page.locator("#upload-section").get_by_text("Add your own documents").click()
    page.locator("#upload-files input[type=file]").set_input_files(str(doc))
    page.locator("#upload-collection textarea, #upload-collection input").first.fill("injected")
    page.locator("#upload-button").click()
    expect(page.locator("#upload-status")).to_contain_text("Added to 'injected'", timeout=ANSWER_TIMEOUT)
    assert (app_server.uploads_dir / "injected" / "zorblat-report.txt").read_text(encoding="utf-8") == INJECTED
    expect(page.locator("#collection input")).to_have_value("injected")

    answer = ask(page, "What was the Zorblat council rated by the inspectors?")
    expect(answer).to_contain_text("<script>alert(1)</script>")
    expect(answer).to_contain_text("*two week*")
    answer.locator("p .cite").first.click()
    viewer = page.locator("#source-viewer")
    expect(viewer_mark(page).first).to_contain_text("<script>alert(1)</script> after a *two week* visit")
    expect(viewer).to_contain_text("<img src=x onerror=alert(2)>")
    expect(viewer).to_contain_text("[inspection results](http://evil.example) and `notes`")
    expect(viewer).to_contain_text("40 libraries &amp; each")
    # (The text loader drops "**" around bold words itself; what is left is shown as plain text.)
    expect(viewer).to_contain_text("The markdown committee")
    # Shown as text: nothing from the document became an element.
    for area in ("#chat", "#source-viewer"):
        for tag in ("script", "img", "strong", "b", "em", "a", "code"):
            assert page.locator(f"{area} {tag}").count() == 0, f"a <{tag}> was rendered in {area}"
    page.wait_for_timeout(500)
    assert page.dialogs == [], page.dialogs
    shot(page, artifacts, "10-untrusted-text-shown-literally")


def test_ask_endpoint_returns_the_answer_dict(app_server):
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    from assistant.types import Answer, Citation

    client = Client(app_server.url, verbose=False)
    first = client.predict(QUESTION, [], "default", api_name="/ask")
    assert set(first) == set(Answer("q", "a", False).to_dict())
    assert first["collection"] == "default" and not first["abstained"]
    assert "[1]" in first["answer"] and first["citations"]
    assert set(first["citations"][0]) == {f.name for f in dataclasses.fields(Citation)}
    history = [{"role": "user", "content": QUESTION}, {"role": "assistant", "content": first["answer"]}]
    follow = client.predict(FOLLOW_UP, history, None, api_name="/ask")
    assert "2024" in follow["query"] and "care leavers" in follow["query"]
    with pytest.raises(AppError) as err:
        client.predict("   ", [], "default", api_name="/ask")
    assert "empty" in str(err.value) and "Traceback" not in str(err.value)
    with pytest.raises(AppError) as err:
        client.predict("Anything?", [], "no-such-collection", api_name="/ask")
    assert "unknown collection" in str(err.value)


# ----------------------------------------------------------------------------- the HTML helpers, without a browser

def test_answer_html_escapes_text_and_makes_only_known_markers_clickable():
    from assistant.web import answer_html

    answer = {"question": "q", "query": "q", "abstained": False, "collection": "default",
              "answer": "Rated <b>good</b> <script>alert(1)</script> **x** [1]. Footnote [7] stays text [2].\n- item [2]\nBoth [1, 2].",
              "citations": [{"n": 1, "title": "<i>T</i>", "doc": "d.txt", "ref": "¶1", "page": None, "date": "2024-12-04"},
                            {"n": 2, "title": "U", "doc": "e.txt", "ref": "§4.3", "page": 3, "date": "2018-11"}]}
    out = answer_html(answer, 5)
    assert "<script>" not in out and "<b>" not in out and "<i>" not in out
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out and "**x**" in out and "&lt;i&gt;T&lt;/i&gt;" in out
    assert out.count('class="cite cite-5-1"') == 3 and out.count('class="cite cite-5-2"') == 4  # "[1, 2]": each clickable
    assert "[7]" in out and "cite-5-7" not in out
    assert "<li>item" in out and "4 Dec 2024" in out and "Nov 2018" in out and "p. 3, §4.3" in out


def test_refusal_html_is_marked_and_has_no_sources():
    from assistant.web import answer_html

    out = answer_html({"question": "q", "query": "q", "abstained": True, "answer": "I can't find [1] that.",
                       "citations": []}, 0)
    assert 'class="bubble refusal done"' in out and "No answer found" in out and 'class="cite' not in out


def test_progressive_display_grows_a_sentence_at_a_time():
    from assistant.web import split_progressively

    steps = split_progressively("One [1]. Two [2]. Three [1].")
    assert steps == ["One [1].", "One [1]. Two [2].", "One [1]. Two [2]. Three [1]."]
    assert split_progressively("Intro [1]:\n- a [1]\n- b [2]")[-1] == "Intro [1]:\n- a [1]\n- b [2]"


def test_viewer_escapes_the_document_and_highlights_the_cited_paragraph(tmp_path):
    from assistant.settings import load_settings
    from assistant.web import viewer_html

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "doc.txt").write_text(INJECTED, encoding="utf-8")
    settings = load_settings(corpus_dir=corpus, index_dir=tmp_path / "index", uploads_dir=tmp_path / "uploads")
    cited = "The Zorblat council was rated Outstanding by the inspectors in 2031 <script>alert(1)</script> after a *two week* visit."
    answer = {"collection": "default", "citations": [
        {"n": 1, "doc": "doc.txt", "title": "<b>Z</b>", "ref": "¶1", "page": None, "text": cited,
         "date": "2031", "publisher": "", "chunk_id": "doc.txt#1"}]}
    out = viewer_html(answer, 1, settings)
    assert "<script>" not in out and "<img" not in out and "<b>Z" not in out
    assert "<mark>The Zorblat council was rated Outstanding by the inspectors in 2031 &lt;script&gt;" in out
    assert "&lt;img src=x onerror=alert(2)&gt;" in out
    assert out.count("<mark>") == 1


def test_an_upload_says_it_is_indexing_before_it_says_what_was_added(tmp_path, monkeypatch):
    from assistant.web import upload

    monkeypatch.setenv("ASSISTANT_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("ASSISTANT_UPLOADS_DIR", str(tmp_path / "uploads"))
    doc = tmp_path / "zorblat-report.txt"
    doc.write_text(INJECTED, encoding="utf-8")
    steps = [status for status, _, _ in upload([str(doc)], "progress")]
    assert len(steps) == 2
    assert "Indexing 1 file into &#x27;progress&#x27;" in steps[0] and "status-info" in steps[0]
    assert "Added to &#x27;progress&#x27;: zorblat-report.txt" in steps[1]


def test_the_first_question_to_a_collection_says_it_is_opening_it(tmp_path, monkeypatch):
    from assistant.pipeline import is_loaded
    from assistant.web import PENDING_HTML, respond, upload

    monkeypatch.setenv("ASSISTANT_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("ASSISTANT_UPLOADS_DIR", str(tmp_path / "uploads"))
    doc = tmp_path / "zorblat-report.txt"
    doc.write_text(INJECTED, encoding="utf-8")
    list(upload([str(doc)], "opening"))
    assert not is_loaded("opening")
    first, *rest = respond("How many libraries does Zorblat have?", None, "opening")
    chat, _, _, status, _, _ = first
    assert chat[-1]["content"] == PENDING_HTML and "Opening this collection" in status
    assert "40 libraries" in rest[-1][0][-1]["content"] and rest[-1][3] == ""
    again = next(respond("How many libraries does Zorblat have?", None, "opening"))
    assert again[3] == ""  # loaded now: no word about opening it
