"""How `vcn check` prints its report: a short table for people, one JSON document for CI (`--json`)."""

from __future__ import annotations

import json
from typing import Any

from vcn.check.capacity import CostReport
from vcn.check.findings import CHECKS, Finding
from vcn.check.runner import CheckReport


def to_json(report: CheckReport) -> dict[str, Any]:
    results = report.results
    failing = {finding.check for finding in results.findings}
    document: dict[str, Any] = {
        "template": str(report.template),
        "passed": report.passed,
        "seconds": round(report.seconds, 1),
        "checks": [
            {
                "check": check,
                "means": means,
                "status": "fail"
                if check in failing
                else ("pass" if check in results.examined else "not run"),
                "examined": results.examined.get(check),
            }
            for check, means in CHECKS.items()
        ],
        "failures": [finding.to_json() for finding in results.findings],
        "kept": [finding.to_json() for finding in results.kept],
        "notes": [{"check": note.check, "note": note.text} for note in results.notes],
    }
    if report.cost is not None:
        document["cost"] = _cost_json(report.cost, str(report.traffic))
    return document


def _cost_json(cost: CostReport, traffic: str) -> dict[str, Any]:
    prices = cost.prices
    return {
        "traffic": traffic,
        "prices": None
        if prices is None
        else {"region": prices.region, "recorded": prices.recorded, "note": prices.note},
        "items": [
            {"service": i.service, "what": i.what, "per_month": round(i.quantity), "usd": round(i.usd, 2)}
            for i in cost.items
        ],
        "usd_by_service": {service: round(usd, 2) for service, usd in cost.by_service().items()},
        "usd_per_month": round(cost.total_usd, 2),
        "quotas": [
            {
                "quota": q.quota,
                "what": q.what,
                "resource": q.resource,
                "peak": round(q.peak, 2),
                "limit": q.limit,
                "unit": q.unit,
                "exceeded": q.exceeded,
            }
            for q in cost.quotas
        ],
        "assumptions": cost.assumptions,
    }


def to_text(report: CheckReport) -> str:
    results = report.results
    count = len(results.findings)
    verdict = "passed" if report.passed else f"FAILED: {count} failure{'s' if count != 1 else ''}"
    lines = [f"vcn check {report.template}: {verdict} ({report.seconds:.1f} s)", ""]
    failing = {finding.check for finding in results.findings}
    for check in CHECKS:
        examined = results.examined.get(check)
        status = "FAIL" if check in failing else ("ok" if examined else "--")
        lines.append(f"  {status:<4}  {check:<9}  {examined or 'not run'}")
    if results.findings:
        lines += ["", _failure_table(results.findings)]
    if results.kept:
        lines += [
            "",
            "kept, not delivered (events outside the producers' contract that no guard keeps out: refused "
            "into a dead-letter queue, or sent by another rule to a queue, that an alarm watches):",
            _failure_table(results.kept),
        ]
    if results.notes:
        lines += ["", "not verified:"]
        lines += [f"  {note.check}: {note.text}" for note in results.notes]
    if report.cost is not None:
        lines += ["", _cost_text(report.cost, str(report.traffic))]
    return "\n".join(lines)


def _failure_table(findings: list[Finding]) -> str:
    width = max(len(f.resource) for f in findings)
    target_width = max([len(f.target or "") for f in findings] + [6])
    rows = [f"  {'check':<9}  {'resource':<{width}}  {'target':<{target_width}}  problem"]
    for finding in findings:
        rows.append(
            f"  {finding.check:<9}  {finding.resource:<{width}}  {finding.target or '':<{target_width}}  "
            f"{finding.problem}"
        )
        indent = " " * 13
        if finding.outcome:
            rows.append(f"{indent}in AWS: {finding.outcome}")
        if finding.counterexample is not None:
            culprit = f" ({finding.culprit})" if finding.culprit else ""
            event = json.dumps(finding.counterexample, separators=(",", ":"))
            rows.append(f"{indent}counterexample{culprit}: {event}")
        if finding.hint:
            rows.append(f"{indent}fix: {finding.hint}")
    return "\n".join(rows)


def _cost_text(cost: CostReport, traffic: str) -> str:
    prices = cost.prices
    source = "" if prices is None else f", {prices.region} list prices recorded {prices.recorded}"
    lines = [f"cost of {traffic} a month{source}:"]
    what_width = max(len(item.what) for item in cost.items) if cost.items else 10
    lines.append(f"  {'service':<15}  {'what':<{what_width}}  {'a month':>15}  {'USD':>10}")
    for item in cost.items:
        usd = f"{item.usd:,.2f}" if item.usd else ""
        lines.append(f"  {item.service:<15}  {item.what:<{what_width}}  {item.quantity:>15,.0f}  {usd:>10}")
    lines.append(f"  {'total':<15}  {'':<{what_width}}  {'':>15}  {cost.total_usd:>10,.2f}")
    by_service = ", ".join(f"{service} {usd:,.2f}" for service, usd in cost.by_service().items())
    lines += [f"  by service: {by_service}", "", "quotas at the profile's peak:"]
    for use in cost.quotas:
        flag = "OVER" if use.exceeded else "ok"
        lines.append(
            f"  {flag:<4}  {use.what} [{use.resource}]: {use.peak:,.1f} of {use.limit:,.0f} {use.unit}"
        )
    lines += [f"  note: {assumption}" for assumption in cost.assumptions]
    return "\n".join(lines)
