"""What every human-facing format shows a legal reader in the same words: license names, rows worst first.

- A license reads by its plain name ("Meta Llama 3 Community License Agreement"), with the SPDX id beside
  it where one exists ("Apache License 2.0 (Apache-2.0)"); a `LicenseRef-` is a machine id and stays in
  the details. Names come from `AuditReport.licenses` (filled from the knowledge base by the application
  layer): renderers never read the knowledge base.
- Rows are listed worst verdict first. `error` leads: a model that could not be audited is a hole in the
  evidence, so nothing can be signed off until it is re-run, and unlike `blocked` (a known "no") it may
  hide anything. Then blocked, needs-review, approved-with-obligations, approved - the `Status` rank, so
  the order is the gate's order. Ties keep the input order, whose number stays on every row (#).
"""

from __future__ import annotations

from collections.abc import Mapping

from auditor.models import AuditReport, LicenseName, ModelResult, Status, UseInfo, rename_licenses


def models_worst_first(report: AuditReport) -> list[tuple[int, ModelResult]]:
    """(input number from 1, result), the worst verdict first; ties keep the input order."""
    numbered = list(enumerate(report.results, start=1))
    return sorted(numbered, key=lambda item: -item[1].verdict.status.rank)


def plain(name: LicenseName) -> str:
    """`Apache License 2.0 (Apache-2.0)`; a license off the SPDX list by its name alone."""
    return f"{name.name} ({name.spdx})" if name.spdx else name.name


def named_expression(expression: str, licenses: Mapping[str, LicenseName]) -> str:
    """An SPDX expression with each id the knowledge base knows replaced by its plain name; the operators
    and any id it does not know (a card's own `LicenseRef-`) stay as written."""
    return rename_licenses(expression, _plain_names(licenses))


_last_names: tuple[Mapping[str, LicenseName], int, dict[str, str]] | None = None


def _plain_names(licenses: Mapping[str, LicenseName]) -> dict[str, str]:
    """Every id a license answers to (key, SPDX id, LicenseRef) -> its plain name.

    A report asks this of its one mapping once per model, and the mapping names every license of the
    run: built once for the mapping last asked about (the same object, of the same size), not per model.
    """
    global _last_names
    last = _last_names
    if last is not None and last[0] is licenses and last[1] == len(licenses):
        return last[2]
    known: dict[str, str] = {}
    for name in licenses.values():
        for ident in (name.identifier, name.spdx, name.licenseref):
            if ident:
                known.setdefault(ident, plain(name))
    _last_names = (licenses, len(licenses), known)
    return known


def terms_name(result: ModelResult) -> str:
    """A hosted model's terms as people call them (`provider terms: OpenAI API (platform)`); the machine key
    (`openai/api`) stays in the JSON's `offering` and the details."""
    hosted = result.hosted
    return f"provider terms: {hosted.offering_name}" if hosted else "provider terms unknown"


def license_name(result: ModelResult, licenses: Mapping[str, LicenseName]) -> str:
    """The license of a Hub model in plain words; `unknown`, with the candidates, when it is not settled."""
    resolution = result.resolution
    if resolution is None:
        return "unknown"
    if resolution.expression:
        return named_expression(resolution.expression, licenses)
    candidates = [licenses[k].name if k in licenses else k for k in resolution.keys]
    return f"unknown (candidates: {', '.join(candidates)})" if candidates else "unknown"


def license_ids(result: ModelResult, licenses: Mapping[str, LicenseName]) -> list[dict[str, str | None]]:
    """The machine ids behind the name, for the details and the JSON: key, name, SPDX id, LicenseRef."""
    resolution = result.resolution
    out = []
    for key in resolution.keys if resolution else ():
        name = licenses.get(key)
        out.append(
            {
                "key": key,
                "name": name.name if name else None,
                "spdx": name.spdx if name else None,
                "licenseref": name.licenseref if name else None,
            }
        )
    return out


def reasons_of(result: ModelResult) -> list[tuple[str, str | None]]:
    """Every reason behind the verdict in plain words, each with the policy setting that decided it (a
    detail, not part of the sentence): the full list, never "(+N more)"."""
    deciding = result.verdict.deciding
    if not deciding:
        return [(result.verdict.reason, None)]
    return [(f.message, f.policy) for f in deciding]


def cleared_for_non_commercial(report: AuditReport) -> list[str]:
    """The use of each model cleared (approved, with or without obligations) only for a use the policy does
    not count as commercial: what the banners warn is not a commercial clearance."""
    return [
        r.verdict.use
        for r in report.results
        if r.verdict.status.rank <= Status.APPROVED_WITH_OBLIGATIONS.rank
        and r.verdict.use in report.uses
        and not report.uses[r.verdict.use].commercial
    ]


def use_label(use: str, uses: Mapping[str, UseInfo]) -> str:
    """The use as a reader must see it beside a verdict: a use the policy does not count as commercial says
    so, so an approval for it never reads as a commercial clearance."""
    info = uses.get(use)
    return f"{use} (not commercial)" if info is not None and not info.commercial else use
