"""Untrusted descriptions become escaped text with paragraphs and safe links, never HTML."""

from __future__ import annotations

from catalog_api.web.text import linkify, paragraphs, plain_text, summary


def test_plain_text_is_kept_as_is() -> None:
    assert plain_text("Crime incidents, 2006 to now. Ages < 18 are masked.") == (
        "Crime incidents, 2006 to now. Ages < 18 are masked."
    )


def test_html_is_reduced_to_text_and_breaks() -> None:
    html = "<p>First <b>bold</b> part.</p><p>Second&nbsp;part &amp; more<br>next line</p>"
    assert paragraphs(html) == ["First bold part.", "Second part &amp; more<br>next line"]  # nbsp collapsed


def test_scripts_and_styles_disappear() -> None:
    html = "<div>Keep</div><script>alert('x')</script><style>p{}</style><p>this</p>"
    text = plain_text(html)
    assert "alert" not in text
    assert "p{}" not in text
    assert [str(p) for p in paragraphs(html)] == ["Keep", "this"]


def test_what_looks_like_markup_in_plain_text_is_escaped() -> None:
    [paragraph] = paragraphs('Values "<5" & >10 are suppressed')
    assert str(paragraph) == "Values &#34;&lt;5&#34; &amp; &gt;10 are suppressed"


def test_entities_in_plain_text_are_decoded_once() -> None:
    [paragraph] = paragraphs("Fish &amp; Wildlife")
    assert str(paragraph) == "Fish &amp; Wildlife"


def test_urls_become_links_and_nothing_else_does() -> None:
    html = linkify("See https://data.example.gov/a?b=1&c=2. Or javascript:alert(1) <img src=x>")
    assert str(html) == (
        'See <a href="https://data.example.gov/a?b=1&amp;c=2" rel="nofollow noopener">'
        "https://data.example.gov/a?b=1&amp;c=2</a>. Or javascript:alert(1) &lt;img src=x&gt;"
    )


def test_a_link_in_html_keeps_its_text_and_loses_its_href() -> None:
    [paragraph] = paragraphs('<a href="javascript:alert(1)" onclick="x()">click</a> here')
    assert str(paragraph) == "click here"


def test_summary_cuts_at_a_word() -> None:
    text = "word " * 100
    cut = summary(text, limit=50)
    assert len(cut) <= 50
    assert cut.endswith("word…")
    assert summary("<p>short</p>") == "short"
    assert summary(None) == ""


def test_paragraphs_of_nothing() -> None:
    assert paragraphs(None) == []
    assert paragraphs("  \n\n  ") == []
