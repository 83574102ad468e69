"""Web pages: the article, without the site around it."""

from __future__ import annotations

import pytest

from assistant.loaders import LoadError, load_document

ARTICLE = """<!DOCTYPE html>
<html lang="en-GB">
<head>
  <meta charset="windows-1252">
  <title>Croydon children’s services rated good by Ofsted | Borough Chronicle</title>
  <meta property="og:title" content="Croydon children’s services rated good by Ofsted">
  <meta property="og:site_name" content="Borough Chronicle">
  <meta property="article:published_time" content="2024-12-04T09:30:00+00:00">
  <meta name="author" content="Sam Reporter">
  <script>window.dataLayer = [{"page": "news"}];</script>
</head>
<body>
  <div id="cookie-banner" class="cookie-consent">
    <p>We use cookies to improve your experience on our site. By continuing you accept our cookie policy.</p>
    <button>Accept all cookies</button>
  </div>
  <header>
    <nav class="main-nav"><ul>
      <li><a href="/">Home</a></li><li><a href="/news">News</a></li>
      <li><a href="/sport">Sport</a></li><li><a href="/contact">Contact us</a></li>
    </ul></nav>
  </header>
  <main>
    <article>
      <h1>Croydon children’s services rated good by Ofsted</h1>
      <p>Croydon Council’s children’s services have been rated good overall by Ofsted, the first time the
      service has achieved the grade since it was judged inadequate in 2017.</p>
      <p>Inspectors who visited in October 2024 found that services for children in care and care leavers had
      improved significantly, although help for some families still requires improvement.</p>
      <h2>What the inspectors found</h2>
      <p>The report praised the stability of the senior leadership team and the council’s young ambassadors
      project, but said that the out-of-hours service was not consistently effective.</p>
      <ul>
        <li>Children in care: good</li>
        <li>Care leavers: good</li>
        <li>Help and protection: requires improvement to be good</li>
      </ul>
      <table>
        <tr><th>Judgement</th><th>Grade</th></tr>
        <tr><td>Overall effectiveness</td><td>Good</td></tr>
        <tr><td>Impact of leaders</td><td>Good</td></tr>
      </table>
      <p>The council’s cabinet member for children said the result reflected years of work by staff and
      partners across the borough, and that the remaining weaknesses would be tackled in the coming year.</p>
    </article>
    <section id="comments" class="comments">
      <h3>3 comments</h3>
      <div class="comment"><p>Great news for the borough, well done to the social workers involved!</p></div>
      <div class="comment"><p>About time too. My neighbour waited months for help from early help services.</p></div>
    </section>
  </main>
  <aside class="related"><h3>Related stories</h3><ul><li><a href="/a">Council tax to rise again</a></li></ul></aside>
  <footer class="site-footer">
    <p>© 2024 Borough Chronicle Ltd. All rights reserved. Registered in England No. 1234567.</p>
    <ul><li><a href="/privacy">Privacy policy</a></li><li><a href="/terms">Terms and conditions</a></li></ul>
  </footer>
</body>
</html>
"""


def _load(tmp_path, name: str, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return load_document(path, tmp_path)


@pytest.fixture()
def article(tmp_path):
    # Saved in the charset it declares: Windows-1252, so ’ is the single byte 0x92.
    return _load(tmp_path, "rated-good.html", ARTICLE.encode("cp1252"))


def test_main_text_only(article):
    text = " ".join(p.text for p in article.paragraphs)
    assert "rated good overall by Ofsted" in text
    assert "tackled in the coming year" in text
    for furniture in ("cookies", "Contact us", "Sport", "Great news for the borough", "My neighbour",
                      "Related stories", "Council tax", "All rights reserved", "Privacy policy", "dataLayer"):
        assert furniture not in text, furniture


def test_declared_charset_is_honoured(article):
    assert article.paragraphs[0].text.startswith("Croydon Council’s children’s services")
    assert not [p for p in article.paragraphs if "â€" in p.text or "\ufffd" in p.text]


def test_utf8_page_declaring_another_charset_is_still_read_right(tmp_path):
    doc = _load(tmp_path, "mislabelled.html", ARTICLE.encode("utf-8"))
    assert doc.paragraphs[0].text.startswith("Croydon Council’s children’s services")


def test_structure_headings_lists_tables(article):
    found = next(p for p in article.paragraphs if p.text.startswith("The report praised"))
    assert found.heading == "What the inspectors found"
    texts = [p.text for p in article.paragraphs]
    assert "Care leavers: good" in texts
    assert "Overall effectiveness: Good." in texts
    assert [p.ref for p in article.paragraphs[:2]] == ["¶1", "¶2"]


def test_metadata(article):
    info = article.info
    assert info.title == "Croydon children’s services rated good by Ofsted"
    assert info.date == "2024-12-04"
    assert info.publisher == "Borough Chronicle"


def test_page_with_no_main_text_is_refused(tmp_path):
    page = b"""<html><head><title>Home</title></head><body><nav><a href="/">Home</a> <a href="/news">News</a></nav>
    <script>var x = 1;</script><footer><a href="/privacy">Privacy</a></footer></body></html>"""
    with pytest.raises(LoadError) as err:
        _load(tmp_path, "home.html", page)
    assert err.value.reason == "web page with no main text"


def test_saved_error_page_is_refused(tmp_path):
    page = b"""<!DOCTYPE html><html><head><title>Page not found | Borough Chronicle</title></head><body>
    <main><h1>Page not found</h1><p>Sorry, the page you were looking for has moved or no longer exists.
    Try searching the site for the article you wanted.</p></main></body></html>"""
    with pytest.raises(LoadError) as err:
        _load(tmp_path, "story.html", page)
    assert err.value.reason == "web page is an error page (“Page not found”)"


def test_web_page_saved_as_pdf_is_refused(tmp_path):
    # As in ofsted-london/bromley/: Ofsted's "Report not found" page saved under a report's .pdf name.
    with pytest.raises(LoadError) as err:
        _load(tmp_path, "children's services inspection - 17 august 2012.pdf", ARTICLE.encode("utf-8"))
    assert err.value.reason.startswith("not a PDF: a web page saved under that name")
