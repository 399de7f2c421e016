"""What a reader of the website needs from every page beyond what the theme gives.

1. Alt text for notebook images. myst-nb gives an output image no alt text, so Sphinx
   writes its file path there (`../_images/3f2a....png`), which is what a screen reader
   reads out. Each such image gets instead the title its cell draws on the figure
   (`suptitle("...")`, `set_title("...")`, `title("...")` with a plain string of three
   words or more; every panel's title, in order, where several panels have one and
   there is no plain suptitle), which names what the figure shows, or, where the cell
   sets no such title, the last sentence of prose above the cell (with the ones before
   it while it is under five words), which in this book says what the figure shows:
   the style guide asks for prose before every output the reader is to look at.
2. The home page's title. Sphinx titles a page "<its heading> - <project>", and the
   home page's heading is the book's title, so the browser tab read it twice; the
   home page's <title> is now the book's title once (templates/layout.html).
3. The book's stylesheet and script (book/_static/reader.css, reader.js): wide outputs
   fitted to the column or scrolled in a box of sensible height, long inline code
   wrapped on phones.
"""

import re
from pathlib import Path

from docutils import nodes

STATIC = Path(__file__).resolve().parent.parent / "_static"
TEMPLATES = Path(__file__).resolve().parent / "templates"
MAX_ALT = 240
MIN_WORDS = 5
# A figure title set with a plain (not formatted) string literal in the cell's code.
TITLE_CALL = re.compile(
    r"""(?:suptitle|set_title|\btitle)\(\s*(?P<q>["'])(?P<title>[^"'{}\n]{8,})(?P=q)"""
)
SENTENCE_END = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][)\"”]))\s+")


def cell_of(node):
    while node is not None:
        if isinstance(node, nodes.container) and node.get("nb_element") == "cell_code":
            return node
        node = node.parent
    return None


def figure_title(cell):
    """The figure's title; for a figure of several titled panels and no plain
    suptitle, the panels' titles in order, so that the alt text names every panel
    and not only the first ("(a) Paths of each length")."""
    titles = []
    for block in cell.findall(nodes.literal_block):
        for match in TITLE_CALL.finditer(block.astext()):
            title = match.group("title").strip()
            if len(title.split()) < 3:  # a panel's label ("original"), not a title
                continue
            if match.group(0).startswith("suptitle"):
                return title
            if title not in titles:
                titles.append(title)
    return "; ".join(titles) or None


def texts_before(cell):
    """The texts above a code cell, nearest first: paragraphs, lists and section
    titles, skipping other code cells."""
    node = cell
    while node.parent is not None:
        parent = node.parent
        for sibling in reversed(parent.children[: parent.index(node)]):
            if isinstance(sibling, nodes.container) and sibling.get("nb_element"):
                continue
            if isinstance(sibling, (nodes.target, nodes.comment)):
                continue
            if sibling.astext().strip():
                yield sibling.astext()
        node = parent


def preceding_prose(cell):
    """The last sentence above a code cell, with the sentences before it while it is
    shorter than MIN_WORDS words ("Draw them:")."""
    text = ""
    for block in texts_before(cell):
        sentences = [s for s in SENTENCE_END.split(" ".join(block.split())) if s]
        while sentences and len(text.split()) < MIN_WORDS:
            text = f"{sentences.pop()} {text}".strip()
        if len(text.split()) >= MIN_WORDS:
            break
    text = text.rstrip(":").strip()
    if len(text) > MAX_ALT:
        text = text[: MAX_ALT - 1].rsplit(" ", 1)[0] + "…"
    return text or None


def alt_for(image):
    cell = cell_of(image)
    if cell is None:
        return None
    text = figure_title(cell) or preceding_prose(cell)
    if not text:
        return None
    images = [node for node in cell.findall(nodes.image)]
    if len(images) > 1:
        text = f"{text} (image {images.index(image) + 1} of {len(images)})"
    return text


def give_images_alt_text(app, doctree):
    for image in doctree.findall(nodes.image):
        alt = image.get("alt", "")
        if alt and alt != image.get("uri"):
            continue
        text = alt_for(image)
        if text:
            image["alt"] = text


def untangle_home_title(app, pagename, templatename, context, doctree):
    """templates/layout.html writes the home page's <title> as the book's title alone
    when that page's heading is the book's title."""
    title = context.get("title")
    home = {app.config.root_doc, app.config.master_doc}  # etoc sets master_doc
    context["reader_home_page"] = bool(
        pagename in home and title and title == context.get("docstitle")
    )


def add_paths(app, config):
    config.html_static_path.append(str(STATIC))
    config.templates_path.append(str(TEMPLATES))


def setup(app):
    app.connect("config-inited", add_paths)
    app.connect("doctree-read", give_images_alt_text)
    app.connect("html-page-context", untangle_home_title)
    app.add_css_file("reader.css")
    app.add_js_file("reader.js", defer="defer")
    return {"parallel_read_safe": True, "parallel_write_safe": True}
