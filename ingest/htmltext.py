"""HTML mail bodies turned into the plain text the form parsers read.

Only the standard library's ``html.parser``: mail HTML is small, often broken, and we need its text and
its table structure, not a rendering. A table row becomes one ``label: value`` line because traders paste
the request form as a two-column table (label cell, value cell); paragraphs, divisions and line breaks
become line breaks; a ``<blockquote>`` (a quoted reply) gets ``> `` line prefixes so the reply-chain cutter
treats it like a plain-text quote.
"""
from __future__ import annotations

import re
from html.parser import HTMLParser

# Elements whose start and end both end the current line.
_PARAGRAPH = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table"}
_BLOCK = {"p", "div", "section", "article", "header", "footer", "ul", "ol", "li", "dl", "dt", "dd",
          "h1", "h2", "h3", "h4", "h5", "h6", "pre", "address", "center", "form", "fieldset", "hr",
          "table", "caption", "tbody", "thead", "tfoot", "body", "html"}
# Elements whose content is never text a person reads.
_INVISIBLE = {"script", "style", "head", "title", "template", "noscript", "object", "svg"}
_CELL = {"td", "th"}


class _TextBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.current: list[str] = []
        self.invisible = 0
        self.pre = 0
        self.quote = 0
        # One entry per open table: the rows' cells collected so far (a nested table's row is flattened
        # into the cell that holds it, which is what a reader sees).
        self.rows: list[list[str] | None] = []
        self.cell: list[str] | None = None
        self.cell_stack: list[list[str] | None] = []

    # --- text -------------------------------------------------------------------------------------------
    def handle_data(self, data: str) -> None:
        if self.invisible:
            return
        if not self.pre:
            data = re.sub(r"\s+", " ", data)
        target = self.cell if self.cell is not None else self.current
        target.append(data)

    def _break(self, blank: bool = False) -> None:
        """End the current line; ``blank`` also leaves an empty line (between paragraphs)."""
        if self.cell is not None:  # a <br>/<p> inside a cell: keep the cell on one line
            self.cell.append(" ")
            return
        text = "".join(self.current)
        self.current = []
        if text.strip():
            for piece in text.split("\n"):
                self._emit(piece)
        if blank and self.lines and self.lines[-1] != "":
            self.lines.append("")

    def _emit(self, text: str) -> None:
        text = text.strip() if not self.pre else text.rstrip()
        if not text:  # a <br><br>: one empty line, never a run of them
            if self.lines and self.lines[-1] != "":
                self.lines.append("")
            return
        if self.quote:
            text = "> " * self.quote + text
        self.lines.append(text)

    # --- tags -------------------------------------------------------------------------------------------
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _INVISIBLE:
            self.invisible += 1
            return
        if tag == "br":
            if self.cell is not None:
                self.cell.append(" ")
            else:
                self.current.append("\n")
            return
        if tag == "img":
            alt = dict(attrs).get("alt")
            if alt:
                self.handle_data(alt)
            return
        if tag == "blockquote":
            self._break(blank=True)
            self.quote += 1
            return
        if tag == "pre":
            self._break()
            self.pre += 1
            return
        if tag == "table":
            self._break(blank=self.cell is None)
            self.cell_stack.append(self.cell)
            self.cell = None
            self.rows.append(None)
            return
        if tag == "tr" and self.rows:
            self._finish_row()
            self.rows[-1] = []
            return
        if tag in _CELL and self.rows:
            self._finish_cell()
            if self.rows[-1] is None:  # a cell without a <tr>: browsers open one
                self.rows[-1] = []
            self.cell = []
            return
        if tag in _BLOCK:
            self._break(blank=tag in _PARAGRAPH)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in ("br", "img", "hr"):
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _INVISIBLE:
            self.invisible = max(0, self.invisible - 1)
            return
        if tag == "blockquote":
            self._break(blank=True)
            self.quote = max(0, self.quote - 1)
            return
        if tag == "pre":
            self._break()
            self.pre = max(0, self.pre - 1)
            return
        if tag in _CELL and self.rows:
            self._finish_cell()
            return
        if tag == "tr" and self.rows:
            self._finish_row()
            return
        if tag == "table" and self.rows:
            self._finish_row()
            self.rows.pop()
            self.cell = self.cell_stack.pop() if self.cell_stack else None
            self._break(blank=self.cell is None)
            return
        if tag in _BLOCK:
            self._break(blank=tag in _PARAGRAPH)

    def _finish_cell(self) -> None:
        if self.cell is None or not self.rows:
            return
        text = " ".join("".join(self.cell).split())
        self.cell = None
        row = self.rows[-1]
        if row is None:
            row = self.rows[-1] = []
        row.append(text)

    def _finish_row(self) -> None:
        self._finish_cell()
        if not self.rows or self.rows[-1] is None:
            return
        line = row_line(self.rows[-1])
        self.rows[-1] = None
        if not line:
            return
        if len(self.cell_stack) > 1 and self.cell_stack[-1] is not None:
            # a row of a table nested in a cell: it reads as part of that cell
            self.cell_stack[-1].append(" " + line + " ")
            return
        self._break()
        self._emit(line)

    def close(self) -> None:
        super().close()
        while self.rows:
            self.handle_endtag("table")
        self._break()


def row_line(cells: list[str]) -> str:
    """One table row as a line: ``label: value`` (further cells follow the value, separated by "; ")."""
    cells = [c.strip() for c in cells if c and c.strip()]
    if not cells:
        return ""
    if len(cells) == 1:
        return cells[0]
    label = cells[0]
    sep = " " if label.endswith(":") else ": "
    return label + sep + "; ".join(cells[1:])


def html_to_text(html: str) -> str:
    """The readable text of an HTML document, one line per paragraph, line break or table row."""
    builder = _TextBuilder()
    try:
        builder.feed(html)
        builder.close()
    except Exception:  # html.parser is lenient, but never let a strange document stop the message
        builder._break()
    lines = builder.lines
    while lines and lines[0] == "":
        lines.pop(0)
    while lines and lines[-1] == "":
        lines.pop()
    return "\n".join(line.replace("\xa0", " ") for line in lines)
