"""Inline SVG pictures for the HTML report: the verdict breakdown and a lineage graph per model.

Built here (geometry is code) and escaped here: every text node goes through `markupsafe.escape`
after `printable`, so a hostile base-model id is as inert in a picture as in a table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from markupsafe import Markup, escape

from auditor.models import Commercial, LineageLink, Status
from auditor.report.text import printable, truncate

VERDICT_COLOURS = {
    Status.APPROVED.value: "#1a7f37",
    Status.APPROVED_WITH_OBLIGATIONS.value: "#0a5dc2",
    Status.NEEDS_REVIEW.value: "#b35900",
    Status.BLOCKED.value: "#c62828",
    Status.ERROR.value: "#6a3fa0",
}
COMMERCIAL_COLOURS = {
    Commercial.YES.value: "#1a7f37",
    Commercial.CONDITIONAL.value: "#b35900",
    Commercial.NO.value: "#c62828",
    Commercial.UNKNOWN.value: "#6b7280",
}
_FONT = 'font-family="DejaVu Sans, Helvetica, Arial, sans-serif"'


def _t(text: object, limit: int) -> Markup:
    return escape(truncate(printable(text), limit))


def verdict_chart(summary: Mapping[str, int], title: str = "Verdicts") -> Markup:
    """Horizontal bars, one per verdict, labelled with the count: readable in print and grayscale."""
    rows = [(s.value, summary.get(s.value, 0)) for s in Status]
    total = sum(n for _, n in rows)
    biggest = max([n for _, n in rows] + [1])
    label_w, bar_w, row_h, top = 190, 300, 30, 8
    width, height = label_w + bar_w + 70, top + row_h * len(rows) + 4
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{_t(title, 80)}">',
        f"<title>{_t(title, 80)}: {total} models</title>",
    ]
    for i, (name, count) in enumerate(rows):
        y = top + i * row_h
        length = 0 if count == 0 else max(3, round(bar_w * count / biggest))
        colour = VERDICT_COLOURS[name]
        parts.append(
            f'<text x="{label_w - 10}" y="{y + 19}" text-anchor="end" font-size="13" {_FONT} '
            f'fill="#1f2328">{escape(name)}</text>'
        )
        parts.append(f'<rect x="{label_w}" y="{y + 5}" width="{bar_w}" height="18" rx="3" fill="#eef1f4"/>')
        if length:
            parts.append(f'<rect x="{label_w}" y="{y + 5}" width="{length}" height="18" rx="3" fill="{colour}"/>')
        parts.append(
            f'<text x="{label_w + bar_w + 10}" y="{y + 19}" font-size="13" font-weight="bold" {_FONT} '
            f'fill="#1f2328">{count}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text in parts went through escape()


def lineage_graph(
    model_id: str, model_expression: str | None, model_commercial: str, links: Sequence[LineageLink], uid: str
) -> Markup | None:
    """The model on top, its bases below it by depth, an arrow from each model to the base it names."""
    if not links:
        return None
    node_w, node_h, gap_x, gap_y, pad = 310, 58, 24, 46, 12
    levels: dict[int, list[tuple[str, str, str, bool]]] = {
        0: [(model_id, model_expression or "license unknown", model_commercial, False)]
    }
    for link in sorted(links, key=lambda ln: (ln.depth, ln.repo_id)):
        depth = max(1, link.depth)
        level = levels.setdefault(depth, [])
        if all(node[0] != link.repo_id for node in level):
            unresolved = link.error is not None
            level.append((link.repo_id, link.expression or "license unknown", link.commercial.value, unresolved))
    depths = sorted(levels)
    widest = max(len(levels[d]) for d in depths)
    width = pad * 2 + widest * node_w + (widest - 1) * gap_x
    height = pad * 2 + len(depths) * node_h + (len(depths) - 1) * gap_y
    where: dict[str, tuple[float, float]] = {}
    boxes: list[str] = []
    for row, depth in enumerate(depths):
        nodes = levels[depth]
        row_w = len(nodes) * node_w + (len(nodes) - 1) * gap_x
        x0 = (width - row_w) / 2
        y = pad + row * (node_h + gap_y)
        for i, (repo_id, expression, commercial, unresolved) in enumerate(nodes):
            x = x0 + i * (node_w + gap_x)
            where.setdefault(repo_id, (x + node_w / 2, y))
            colour = COMMERCIAL_COLOURS.get(commercial, COMMERCIAL_COLOURS["unknown"])
            fill = "#f6f8fa" if depth else "#ffffff"
            stroke = 2.5 if depth == 0 else 1.5
            dash = ' stroke-dasharray="6 4"' if unresolved else ""  # a base we could not read
            boxes.append(
                f'<rect x="{x:.0f}" y="{y}" width="{node_w}" height="{node_h}" rx="6" fill="{fill}" '
                f'stroke="{colour}" stroke-width="{stroke}"{dash}/>'
                f'<text x="{x + 10:.0f}" y="{y + 22}" font-size="12.5" font-weight="bold" {_FONT} '
                f'fill="#1f2328">{_t(repo_id, 38)}</text>'
                f'<text x="{x + 10:.0f}" y="{y + 42}" font-size="11.5" {_FONT} fill="{colour}">'
                f"{_t('could not be read' if unresolved else expression, 34)} · commercial: {escape(commercial)}</text>"
            )
    edges: list[str] = []
    for link in links:
        child = where.get(link.repo_id)
        parent = where.get(link.parent) or where.get(model_id)
        if child is None or parent is None or child == parent:
            continue
        x1, y1 = parent[0], parent[1] + node_h
        x2, y2 = child[0], child[1] - 3
        edges.append(
            f'<line x1="{x1:.0f}" y1="{y1}" x2="{x2:.0f}" y2="{y2}" stroke="#57606a" stroke-width="1.5" '
            f'marker-end="url(#arrow-{uid})"/>'
            f'<text x="{(x1 + x2) / 2 + 6:.0f}" y="{(y1 + y2) / 2 + 4:.0f}" font-size="11" {_FONT} '
            f'fill="#57606a">{_t(link.relation, 20)}</text>'
        )
    return Markup(  # noqa: S704 - every text node went through _t() (escape)
        f'<svg xmlns="http://www.w3.org/2000/svg" class="lineage" viewBox="0 0 {width:.0f} {height}" '
        f'width="{width:.0f}" height="{height}" role="img" aria-label="Base models of {_t(model_id, 100)}">'
        f"<title>Base models of {_t(model_id, 100)}</title>"
        f'<defs><marker id="arrow-{uid}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        f'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#57606a"/></marker></defs>'
        + "".join(edges)
        + "".join(boxes)
        + "</svg>"
    )
