"""Airlock's Grafana dashboard, as code: writes helm/airlock/files/dashboard.json.

    .venv/bin/python helm/dashboard.py           # write the JSON the chart ships
    .venv/bin/python helm/dashboard.py --check   # exit 1 if the committed JSON is stale

The chart puts the JSON in a ConfigMap labelled for Grafana's dashboard sidecar. Every query
selects by metric name and the job names of the chart's metrics Services (airlock-worker,
airlock-gateway); tests/test_helm checks that each one evaluates against a real Prometheus.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from grafana_foundation_sdk.builders import bargauge, prometheus, stat, timeseries
from grafana_foundation_sdk.builders.dashboard import (
    Dashboard,
    DatasourceVariable,
    QueryVariable,
    Row,
    ThresholdsConfig,
)
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.dashboard import (
    DataSourceRef,
    Threshold,
    ThresholdsMode,
    VariableRefresh,
    VariableSort,
)

OUTPUT = Path(__file__).resolve().parent / "airlock" / "files" / "dashboard.json"
UID = "airlock-overview"
DATASOURCE = DataSourceRef(type_val="prometheus", uid="${datasource}")
# The tenant and app chosen at the top of the dashboard, for the metrics that carry them.
TENANT = 'tenant=~"$tenant"'
SCOPE = f'{TENANT}, app=~"$app"'


def query(
    expr: str, legend: str = "", *, instant: bool = False, ref_id: str = "A"
) -> prometheus.Dataquery:
    target = prometheus.Dataquery().expr(expr).datasource(DATASOURCE).ref_id(ref_id)
    if legend:
        target = target.legend_format(legend)
    return target.instant() if instant else target.range()


def quantiles(metric: str, selector: str = "") -> list[prometheus.Dataquery]:
    """p50 and p99 of a histogram."""
    return [
        query(
            f"histogram_quantile({q}, sum by (le) (rate({metric}_bucket{{{selector}}}"
            "[$__rate_interval])))",
            f"p{round(q * 100)}",
            ref_id=ref_id,
        )
        for q, ref_id in ((0.5, "A"), (0.99, "B"))
    ]


def series(
    title: str, description: str, unit: str, *targets: prometheus.Dataquery, span: int = 12
) -> timeseries.Panel:
    panel = (
        timeseries.Panel()
        .title(title)
        .description(description)
        .unit(unit)
        .min(0)
        .height(8)
        .span(span)
        .datasource(DATASOURCE)
    )
    for target in targets:
        panel = panel.with_target(target)
    return panel


def number(
    title: str,
    description: str,
    unit: str,
    target: prometheus.Dataquery,
    *,
    span: int = 6,
    red_above: float | None = None,
) -> stat.Panel:
    panel = (
        stat.Panel()
        .title(title)
        .description(description)
        .unit(unit)
        .height(4)
        .span(span)
        .datasource(DATASOURCE)
        .with_target(target)
    )
    if red_above is not None:
        panel = panel.thresholds(
            ThresholdsConfig()
            .mode(ThresholdsMode.ABSOLUTE)
            .steps([Threshold(value=None, color="green"), Threshold(value=red_above, color="red")])
        )
    return panel


def top(title: str, description: str, target: prometheus.Dataquery) -> bargauge.Panel:
    return (
        bargauge.Panel()
        .title(title)
        .description(description)
        .unit("short")
        .height(8)
        .span(12)
        .datasource(DATASOURCE)
        .with_target(target)
    )


def share(action: str) -> prometheus.Dataquery:
    """The share of the chosen tenants' and apps' decisions with this action (0 when none)."""
    return query(
        f'(sum(rate(airlock_events_total{{{SCOPE}, action="{action}"}}[$__rate_interval]))'
        " or vector(0))"
        f" / sum(rate(airlock_events_total{{{SCOPE}}}[$__rate_interval]))"
    )


def build() -> Dashboard:
    return (
        Dashboard("Airlock")
        .uid(UID)
        .description(
            "Prompts scanned and decided by Airlock's workers and gateway: what is blocked and "
            "why, latency, lag, dead letters, and the gateway's fail-open and fail-closed counts."
        )
        .tags(["airlock", "dlp", "generated"])
        .refresh("30s")
        .time("now-1h", "now")
        .timezone("browser")
        .with_variable(DatasourceVariable("datasource").label("Data source").type("prometheus"))
        .with_variable(
            QueryVariable("tenant")
            .label("Tenant")
            .datasource(DATASOURCE)
            .query("label_values(airlock_events_total, tenant)")
            .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED)
            .sort(VariableSort.ALPHABETICAL_ASC)
            .multi(True)
            .include_all(True)
            .all_value(".*")
        )
        .with_variable(
            QueryVariable("app")
            .label("App")
            .datasource(DATASOURCE)
            .query(f"label_values(airlock_events_total{{{TENANT}}}, app)")
            .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED)
            .sort(VariableSort.ALPHABETICAL_ASC)
            .multi(True)
            .include_all(True)
            .all_value(".*")
        )
        .with_row(Row("Decisions"))
        .with_panel(
            number(
                "Blocked share",
                "Share of the prompts decided `block`, chosen tenants and apps.",
                "percentunit",
                share("block"),
            )
        )
        .with_panel(
            number(
                "Redacted share",
                "Share of the prompts decided `redact`: sent on with the findings replaced.",
                "percentunit",
                share("redact"),
            )
        )
        .with_panel(
            number(
                "Workers up",
                "Worker pods Prometheus scrapes successfully.",
                "short",
                query('sum(up{job="airlock-worker"})', instant=True),
            )
        )
        .with_panel(
            number(
                "Policy reload errors",
                "Policy files that failed to reload in the time range (the previous policy "
                "stays in force).",
                "short",
                query("sum(increase(airlock_policy_reload_errors_total[$__range]))", instant=True),
                red_above=1,
            )
        )
        .with_panel(
            series(
                "Prompts per second by tenant, app and action",
                "Prompt events decided, per second.",
                "reqps",
                query(
                    "sum by (tenant, app, action) "
                    f"(rate(airlock_events_total{{{SCOPE}}}[$__rate_interval]))",
                    "{{tenant}} {{app}} {{action}}",
                ),
            )
        )
        .with_panel(
            series(
                "Alerts raised by severity",
                "OCSF Data Security Findings published on the alerts topic for the SOC.",
                "short",
                query(
                    f"sum by (severity) (rate(airlock_alerts_total{{{TENANT}}}[$__rate_interval]))",
                    "{{severity}}",
                ),
            )
        )
        .with_row(Row("Detection"))
        .with_panel(
            top(
                "Top detectors",
                "The ten detectors with the most findings in the time range (all tenants).",
                query(
                    "topk(10, sum by (detector) (increase(airlock_findings_total[$__range])))",
                    "{{detector}}",
                    instant=True,
                ),
            )
        )
        .with_panel(
            top(
                "Findings by category",
                "Findings in the time range by category: secret, pii, financial, health, "
                "confidential, code (all tenants).",
                query(
                    "sum by (category) (increase(airlock_findings_total[$__range]))",
                    "{{category}}",
                    instant=True,
                ),
            )
        )
        .with_row(Row("Latency"))
        .with_panel(
            series(
                "Scan latency",
                "Time to scan one prompt event with the Hyperscan database.",
                "s",
                *quantiles("airlock_scan_seconds"),
            )
        )
        .with_panel(
            series(
                "Decision latency",
                "From the prompt event's time at the gateway to its decision on Kafka; the "
                "objective is 99% within 50 ms.",
                "s",
                *quantiles("airlock_decision_latency_seconds"),
            )
        )
        .with_row(Row("Pipeline health"))
        .with_panel(
            series(
                "Consumer lag by partition",
                "Prompt events not yet decided, per partition of the prompts topic.",
                "short",
                query(
                    "sum by (topic, partition) (airlock_consumer_lag)",
                    "{{topic}} [{{partition}}]",
                ),
            )
        )
        .with_panel(
            series(
                "Dead letters by reason",
                "Bad prompt events set aside on the dead-letter topic, per second.",
                "short",
                query(
                    "sum by (reason) (rate(airlock_deadletters_total[$__rate_interval]))",
                    "{{reason}}",
                ),
            )
        )
        .with_row(Row("Gateway"))
        .with_panel(
            series(
                "Gateway requests by action",
                "Requests the gateway answered, by action (fail_open and fail_closed when no "
                "decision came in time).",
                "reqps",
                query(
                    "sum by (action) "
                    f"(rate(airlock_gateway_requests_total{{{SCOPE}}}[$__rate_interval]))",
                    "{{action}}",
                ),
            )
        )
        .with_panel(
            top(
                "Gateway fail-open and fail-closed",
                "Requests forwarded uninspected (open) or refused (closed) in the time range, "
                "by reason: deadline or unavailable.",
                query(
                    "sum by (mode, reason) "
                    f"(increase(airlock_gateway_fallbacks_total{{{TENANT}}}[$__range]))",
                    "{{mode}} ({{reason}})",
                    instant=True,
                ),
            )
        )
        .with_panel(
            series(
                "Gateway added latency",
                "What the gateway adds to a request, upstream time excluded.",
                "s",
                *quantiles("airlock_gateway_added_seconds"),
            )
        )
        .with_panel(
            series(
                "Upstream latency",
                "Time the AI provider's API took to answer the gateway.",
                "s",
                *quantiles("airlock_gateway_upstream_seconds"),
            )
        )
    )


def render() -> str:
    """The dashboard's JSON, as the chart ships it."""
    dashboard = build().build()
    for number, panel in enumerate(dashboard.panels or [], start=1):
        panel.id_val = number  # Grafana tells panels apart by id
    return json.dumps(dashboard, cls=JSONEncoder, indent=2, sort_keys=True) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the committed JSON differs")
    args = parser.parse_args()
    text = render()
    if args.check:
        if not OUTPUT.exists() or OUTPUT.read_text() != text:
            print(f"{OUTPUT} is stale: run .venv/bin/python helm/dashboard.py", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(text)
    print(f"wrote {OUTPUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
