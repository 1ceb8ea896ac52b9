"""Page assembly: sections → one HTML file with plotly.js inlined once (works offline)."""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from crossbook._atomic import atomic_write_text

_CSS = """
body{font-family:-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif;margin:0;color:#1d2430;background:#f6f7f9}
header{background:#121826;color:#e8ecf3;padding:18px 32px}
header h1{margin:0;font-size:22px} header p{margin:4px 0 0;color:#9aa6b8;font-size:13px}
nav{padding:8px 32px;background:#fff;border-bottom:1px solid #e3e6eb;font-size:13px}
nav a{margin-right:16px;color:#2f5fb3;text-decoration:none}
section{background:#fff;margin:18px 32px;padding:16px 24px;border:1px solid #e3e6eb;border-radius:6px}
section h2{font-size:18px;margin:4px 0 10px} .note{color:#5b6575;font-size:13px;max-width:980px}
table.t{border-collapse:collapse;font-size:13px;margin:8px 0}
table.t th,table.t td{border-bottom:1px solid #e8eaee;padding:4px 10px;text-align:right}
table.t th{background:#f1f3f6;text-align:center} table.t td:first-child,table.t th:first-child{text-align:left}
.kv{display:flex;flex-wrap:wrap;gap:10px} .kv div{background:#f1f3f6;border-radius:4px;padding:6px 12px;font-size:13px}
.kv b{display:block;font-size:16px}
"""


@dataclass
class Section:
    """One report section: an anchor id, a title, and HTML (tables, notes, figures)."""

    id: str
    title: str
    parts: list[str] = field(default_factory=list)

    def note(self, text: str) -> Section:
        self.parts.append(f'<p class="note">{text}</p>')
        return self

    def html(self, raw: str) -> Section:
        self.parts.append(raw)
        return self

    def table(self, rows: Sequence[dict[str, Any]], caption: str | None = None) -> Section:
        self.parts.append(table_html(rows, caption))
        return self

    def kv(self, items: dict[str, Any]) -> Section:
        cells = "".join(f"<div>{html.escape(str(k))}<b>{html.escape(_fmt(v))}</b></div>" for k, v in items.items())
        self.parts.append(f'<div class="kv">{cells}</div>')
        return self

    def figure(self, fig: Any) -> Section:
        """Add a plotly figure (rendered without its own plotly.js; the page includes it once)."""
        self.parts.append(fig.to_html(full_html=False, include_plotlyjs=False, config={"displaylogo": False}))
        return self


class Report:
    """A report under construction: ``Report(title).add(section)...write(path)``."""

    def __init__(self, title: str, subtitle: str = "") -> None:
        self.title = title
        self.subtitle = subtitle
        self.sections: list[Section] = []

    def add(self, section: Section) -> Report:
        self.sections.append(section)
        return self

    def extend(self, sections: Iterable[Section]) -> Report:
        self.sections.extend(sections)
        return self

    def render(self) -> str:
        from plotly.offline import get_plotlyjs

        made = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        nav = "".join(f'<a href="#{s.id}">{html.escape(s.title)}</a>' for s in self.sections)
        body = "".join(
            f'<section id="{s.id}"><h2>{html.escape(s.title)}</h2>{"".join(s.parts)}</section>' for s in self.sections
        )
        sub = html.escape(self.subtitle)
        return (
            "<!DOCTYPE html><html><head><meta charset='utf-8'>"
            f"<title>{html.escape(self.title)}</title><style>{_CSS}</style>"
            f"<script type='text/javascript'>{get_plotlyjs()}</script></head><body>"
            f"<header><h1>{html.escape(self.title)}</h1><p>{sub} · generated {made} by crossbook</p></header>"
            f"<nav>{nav}</nav>{body}</body></html>"
        )

    def write(self, path: str | Path) -> Path:
        """Write the page atomically (temp file + rename)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        return atomic_write_text(path, self.render())


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        if v != v:  # NaN
            return "–"
        if abs(v) >= 1e5 or (abs(v) < 1e-3 and v != 0):
            return f"{v:.4g}"
        return f"{v:,.4f}".rstrip("0").rstrip(".")
    if isinstance(v, int) and not isinstance(v, bool):
        return f"{v:,}"
    return str(v)


def table_html(rows: Sequence[dict[str, Any]], caption: str | None = None) -> str:
    """A small HTML table from a list of dicts (keys of the first row are the columns)."""
    if not rows:
        return '<p class="note">(no rows)</p>'
    cols = list(rows[0])
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in cols)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(_fmt(r.get(c)))}</td>" for c in cols) + "</tr>" for r in rows)
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return f'<table class="t">{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
