"""Descriptions on pages: Markdown rendered, source HTML sanitized to a small allow-list, bare URLs linked,
and hostile input (script, event handlers, javascript:/data: links, SVG, style, iframes, entity tricks)
reduced to harmless text. Plain text wherever text is expected."""

from __future__ import annotations

import pytest
from lxml import html

from catalog_api.web.text import description_html, plain_text, summary
from mappings.richtext import ATTRIBUTES, LINK_REL, TAGS, render_html

ARCGIS = (
    '<DIV STYLE="text-align:Left;"><DIV><P><SPAN>Locations of parking pay stations. More at '
    'http://www.seattle.gov/transportation/parking.</SPAN></P><P><SPAN STYLE="font-weight:bold">Updated'
    "</SPAN> weekly.</P></DIV></DIV>"
)
PHILLY = (
    "Crime incidents from the Philadelphia Police Department.\n\n"
    "Discuss it in the [OpenDataPhilly Discussion Group](http://groups.google.com/group/opendataphilly)."
)


def elements(fragment: str) -> list[html.HtmlElement]:
    return list(html.fragment_fromstring(fragment, create_parent="div").iter()) if fragment else []


def assert_harmless(fragment: str) -> None:
    """Only allowed tags and attributes; links only to absolute http(s)/mailto URLs, with rel."""
    for element in elements(fragment)[1:]:
        assert element.tag in TAGS, element.tag
        assert set(element.attrib) <= ATTRIBUTES.get(element.tag, set()) | ({"rel"} if element.tag == "a" else set())
        if element.tag == "a":
            assert element.get("href", "").lower().startswith(("http://", "https://", "mailto:")), element.attrib
            assert element.get("rel") == LINK_REL


def test_markdown_is_rendered() -> None:
    rendered = str(description_html(PHILLY))
    assert rendered == (
        "<p>Crime incidents from the Philadelphia Police Department.</p>\n"
        '<p>Discuss it in the <a href="http://groups.google.com/group/opendataphilly" rel="nofollow noopener ugc">'
        "OpenDataPhilly Discussion Group</a>.</p>"
    )
    assert plain_text(PHILLY) == (
        "Crime incidents from the Philadelphia Police Department.\n\nDiscuss it in the OpenDataPhilly Discussion Group."
    )


def test_markdown_lists_headings_emphasis_and_tables() -> None:
    rendered = render_html("# Parking\n\n*Weekly* **counts**\nper block\n\n- one\n- two\n\n|a|b|\n|-|-|\n|1|2|")
    assert "<h3>Parking</h3>" in rendered  # below the page's h1 and h2
    assert "<em>Weekly</em> <strong>counts</strong><br>" in rendered  # a single line break is kept
    assert "<ul>\n<li>one</li>" in rendered
    assert "<td>1</td>" in rendered
    assert_harmless(rendered)


def test_arcgis_html_is_sanitized_and_its_urls_linked() -> None:
    rendered = render_html(ARCGIS)
    assert rendered == (
        "<p>Locations of parking pay stations. More at "
        '<a href="http://www.seattle.gov/transportation/parking" rel="nofollow noopener ugc">'
        "http://www.seattle.gov/transportation/parking</a>.</p><p>Updated weekly.</p>"
    )
    assert plain_text(ARCGIS) == (
        "Locations of parking pay stations. More at http://www.seattle.gov/transportation/parking.\n\nUpdated weekly."
    )


def test_bare_urls_and_emails_become_links() -> None:
    rendered = render_html("See www.phila.gov/data, https://data.example.gov/a?b=1&c=2. Mail open@data.gov")
    assert '<a href="http://www.phila.gov/data" rel="nofollow noopener ugc">www.phila.gov/data</a>,' in rendered
    assert 'href="https://data.example.gov/a?b=1&amp;c=2"' in rendered
    assert '<a href="mailto:open@data.gov" rel="nofollow noopener ugc">open@data.gov</a>' in rendered


HOSTILE = [
    "<script>alert(1)</script>text",
    "text<script src=//evil.example/x.js></script>",
    '<img src=x onerror="alert(1)">',
    "<p onclick=\"alert(1)\" onmouseover='alert(2)'>hover</p>",
    '<a href="javascript:alert(1)">click</a>',
    '<a href="JaVaScRiPt:alert(1)">click</a>',
    '<a href="jav&#x09;ascript:alert(1)">tab</a>',
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">entities</a>',
    '<a href=" javascript:alert(1)">space</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">data</a>',
    '<a href="vbscript:msgbox(1)">vb</a>',
    '<a href="/relative/path">relative</a>',
    "<svg onload=alert(1)><script>alert(1)</script><a xlink:href='javascript:alert(1)'>x</a></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<iframe src="https://evil.example"></iframe>framed',
    '<style>body{display:none}</style><p style="background:url(javascript:alert(1))">styled</p>',
    '<object data="x.swf"></object><embed src="x.swf"><form action="https://evil.example"><input></form>',
    '<base href="https://evil.example/"><meta http-equiv="refresh" content="0;url=https://evil.example">',
    "<!--<script>alert(1)</script>--><p>comment</p>",
    "<p>unclosed <b>tags <i>everywhere",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "[click](javascript:alert(1)) [data](data:text/html,<script>alert(1)</script>) [vb](vbscript:x)",
    "[rel](/relative) [entity](jav&#x61;script:alert(1)) <javascript:alert(1)>",
    "![pixel](https://tracker.example/p.gif) ![inline](data:image/png;base64,iVBORw0KGgo=)",
    '[x](https://ok.example "title\\" onmouseover=\\"alert(1)")',
    "<div><p>" * 500 + "deep",
]


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_input_is_harmless(hostile: str) -> None:
    """Structurally: only allowed elements and attributes survive, and every link is an absolute http(s) or
    mailto URL (markup that is not HTML formatting is shown as text, where its words do no harm)."""
    rendered = render_html(hostile)
    assert_harmless(rendered)
    parsed = elements(rendered)
    assert not [e for e in parsed if e.tag in ("script", "style", "iframe", "svg", "img", "object", "form", "base")]
    assert not [name for e in parsed for name in e.attrib if name.lower().startswith("on")]
    assert not [e for e in parsed if e.get("href", "").lower().lstrip().startswith(("javascript", "data", "vb"))]


def test_html_with_hostile_parts_keeps_only_its_words() -> None:
    hostile = (
        '<p onclick="alert(1)">Parking <a href="javascript:alert(1)">meters</a><script>alert(2)</script>'
        '<iframe src="https://evil.example"></iframe><img src=x onerror=alert(3)>'
        '<style>p{}</style><svg><a href="https://evil.example">svg</a></svg></p>'
    )
    assert render_html(hostile) == "<p>Parking meters</p>"
    assert plain_text(hostile) == "Parking meters"


def test_images_become_links_to_the_image_never_loads() -> None:
    rendered = render_html("![pixel](https://tracker.example/p.gif)")
    assert rendered == '<p><a href="https://tracker.example/p.gif" rel="nofollow noopener ugc">pixel</a></p>'
    assert "href" not in render_html("![inline](data:image/png;base64,iVBORw0KGgo=)")  # not a link, only text


def test_what_looks_like_markup_in_plain_text_stays_text() -> None:
    assert render_html('Values "<5" & >10 are suppressed') == '<p>Values "&lt;5" &amp; &gt;10 are suppressed</p>'
    assert plain_text('Values "<5" & >10 are suppressed') == 'Values "<5" & >10 are suppressed'
    assert plain_text("Fish &amp; Wildlife") == "Fish & Wildlife"  # decoded once
    assert plain_text("<script>alert(1)</script> and *stars*") == "<script>alert(1)</script> and stars"


def test_summary_cuts_at_a_word() -> None:
    cut = summary("word " * 100, limit=50)
    assert len(cut) <= 50
    assert cut.endswith("word…")
    assert summary("<p>short</p>") == "short"
    assert summary(PHILLY, limit=400).endswith("in the OpenDataPhilly Discussion Group.")
    assert summary(None) == ""


def test_nothing_renders_as_nothing() -> None:
    assert str(description_html(None)) == ""
    assert str(description_html("  \n\n  ")) == ""
    assert plain_text(None) == ""
