"""`vcn dlq list|show|redrive|pending` and `vcn metrics`: operating the delivery path (local or deployed).

Locally `vcn metrics` prints the EventBridge counters per rule and target and, under `CloudWatch`, every
metric the local CloudWatch holds (AWS namespaces, names and dimensions) with its totals since start.

Locally the store holds dead letters (with EventBridge's ERROR_CODE attributes) and the messages rules sent to
SQS queue targets (no attributes); for the latter `list` and `show` also say which conditions of the rule's
`$or` pattern the event met (`vcn.eventbridge.pattern_explain`), e.g. why a rule rejected it.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import requests

from vcn.arns import parse_rule_arn, sqs_queue_name_of_url
from vcn.cli.common import target_command, target_of
from vcn.cli.errors import CliError
from vcn.cli.target import Target, default_state_dir
from vcn.eventbridge.dlq import DeadLetterMessage, DeadLetterStore, InvalidName
from vcn.eventbridge.journal import JournalError, journal_path, read_journal
from vcn.eventbridge.pattern_explain import matched_conditions
from vcn.local.profile import AppProfile

REDRIVE_PATH = "/_vcn/dlq/redrive"
METRICS_PATH = "/_vcn/metrics"
CLOUDWATCH_METRICS_PATH = "/_vcn/cloudwatch/metrics"
POLL_SECONDS = 0.5


def _local_request(method: str, url: str, body: dict[str, Any] | None = None) -> Any:
    """A request to the local EventBridge's operations API; CliError with its message when it refuses."""
    try:
        response = requests.request(method, url, json=body, timeout=10)
    except requests.RequestException as exc:
        raise CliError(
            f"the local cloud does not answer at {url} ({exc}); is `vcn local up` running?"
        ) from None
    if response.status_code not in (200, 202):
        try:
            reason = response.json()["message"]
        except (ValueError, KeyError, TypeError):
            reason = response.text.strip()
        raise CliError(f"{url} answered {response.status_code}: {reason}")
    return response.json()


def _utc(seconds: float) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---- deployed stacks: the dead-letter queues are SQS queues named in the stack outputs


def _stack_queue_urls(target: Target, queue: str | None, names: tuple[str, ...]) -> dict[str, str]:
    """Name -> URL of the stack's dead-letter queues (outputs named `names`), or of the one named `queue`."""
    outputs = target.outputs or {}
    urls = {sqs_queue_name_of_url(outputs[key]): outputs[key] for key in names if key in outputs}
    if queue is None:
        return urls
    if queue not in urls:
        listed = ", ".join(urls) or "none"
        raise CliError(f"no dead-letter queue {queue} in {target.label}; its queues: {listed}")
    return {queue: urls[queue]}


def _peek_sqs(args: argparse.Namespace, target: Target, queue: str | None) -> list[dict[str, Any]]:
    """A look at the stack's dead-letter queues: the outputs the app profile names as such."""
    profile: AppProfile = args.profile
    names = profile.stack_outputs.dead_letter_queues if profile.stack_outputs else ()
    sqs = target.boto3_client("sqs")
    messages: list[dict[str, Any]] = []
    for name, url in _stack_queue_urls(target, queue, names).items():
        # VisibilityTimeout 0: look without hiding the messages from anyone else.
        reply = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0, MessageAttributeNames=["All"]
        )
        for message in reply.get("Messages", []):
            messages.append({"QueueName": name, **message})
    return messages


# ---- why a rule sent an event to a queue target


class RulePatterns:
    """The patterns of the local cloud's rules, asked of its EventBridge once per rule (DescribeRule)."""

    def __init__(self, target: Target | None) -> None:
        self._target = target  # None: no cloud runs, so no rule can be asked
        self._client: Any = None
        self._patterns: dict[str, str | None] = {}

    def pattern(self, rule_arn: str) -> str | None:
        if rule_arn not in self._patterns:
            self._patterns[rule_arn] = self._describe(rule_arn)
        return self._patterns[rule_arn]

    def _describe(self, rule_arn: str) -> str | None:
        if self._target is None:
            return None
        try:
            bus, name = parse_rule_arn(rule_arn)
        except ValueError:  # a message sent to the queue by hand (SendMessage) names no rule
            return None
        try:
            if self._client is None:
                self._client = self._target.boto3_client("events")
            pattern = self._client.describe_rule(Name=name, EventBusName=bus).get("EventPattern")
        except Exception:  # the cloud is down or the rule is gone: the message is shown without a reason
            return None
        return str(pattern) if pattern else None


def matched_by(message: DeadLetterMessage, patterns: RulePatterns) -> list[str] | None:
    """For a message a rule sent to a queue target (not a dead letter): the `$or` conditions it met."""
    if "ERROR_CODE" in message.attributes:
        return None
    pattern = patterns.pattern(message.rule_arn)
    return matched_conditions(pattern, message.event) if pattern else None


# ---- commands


@contextlib.contextmanager
def _names_checked() -> Iterator[None]:
    """A queue name or message id the store refuses was the user's: a CliError with the store's reason."""
    try:
        yield
    except InvalidName as exc:
        raise CliError(str(exc)) from None


def _local_queues(args: argparse.Namespace) -> tuple[Target | None, Path]:
    """The local queues are files in the state folder: they are read even when no cloud runs (after a crash,
    say); the running cloud, when there is one, explains what a rule's queue target matched."""
    state_dir = args.state_dir or default_state_dir()
    try:
        return target_of(args), state_dir
    except CliError:
        if not (state_dir / "dlq").is_dir():
            raise
        return None, state_dir


def _known_queue(running: Target | None, store: DeadLetterStore, queue: str | None) -> None:
    """A `--queue` the running cloud's template does not declare, and that holds no message, is a typo: say so
    rather than report it empty (which an unknown queue always is)."""
    if queue is None or running is None or running.queues is None:
        return
    known = set(running.queues) | set(store.queues())
    if queue not in known:
        listed = ", ".join(sorted(known)) or "none"
        raise CliError(f"no queue {queue} in the {running.label}; its queues: {listed}")


def _known_messages(store: DeadLetterStore, message_ids: list[str] | None) -> None:
    """Every `--id` must name a message that exists (queued, or claimed by a redrive running now)."""
    with _names_checked():
        missing = [message_id for message_id in message_ids or () if not store.contains(message_id)]
    if missing:
        raise CliError(
            f"no dead-letter message {', '.join(missing)}; `vcn dlq list` shows the ids that exist"
        )


def run_list(args: argparse.Namespace) -> int:
    if args.stack:
        target = target_of(args)
        for peeked in _peek_sqs(args, target, args.queue):
            print(json.dumps({"MessageId": peeked["MessageId"], "QueueName": peeked["QueueName"]}))
        return 0
    running, state_dir = _local_queues(args)
    store = DeadLetterStore(state_dir)
    _known_queue(running, store, args.queue)
    with _names_checked():
        messages = store.list(args.queue)
    patterns = RulePatterns(running)
    for message in messages:
        attributes = message.attributes
        sent = _utc(message.sent_timestamp_ms / 1000)
        conditions = matched_by(message, patterns)
        why = (
            f"matched {'; '.join(conditions)}"
            if conditions
            else f"{attributes.get('ERROR_CODE', '')} {attributes.get('EXHAUSTED_RETRY_CONDITION', '')}"
        )
        # An EventBridge dead letter names its event's detail-type; a Lambda invocation record, its condition.
        context = message.event.get("requestContext")
        kind = (
            f"{context.get('functionArn', '?').rsplit(':', 2)[-2]} {context.get('condition', '')}"
            if isinstance(context, dict)
            else message.event.get("detail-type", "?")
        )
        if not message.rule_arn and not message.event:
            kind, why = "SendMessage", "(sent by a function)"
        print(f"{message.message_id}  {message.queue}  {sent}  {kind}  {why}".rstrip())
    if not messages:
        print("no dead-letter messages")
    return 0


def run_show(args: argparse.Namespace) -> int:
    if args.stack:
        target = target_of(args)
        found = [
            message for message in _peek_sqs(args, target, None) if message["MessageId"] == args.message_id
        ]
        if not found:
            raise CliError(
                f"no message {args.message_id} among the visible dead-letter messages of {target.label}"
            )
        print(json.dumps(found[0], indent=2))
        return 0
    running, state_dir = _local_queues(args)
    try:
        with _names_checked():
            message = DeadLetterStore(state_dir).get(args.message_id)
    except KeyError:
        raise CliError(
            f"no dead-letter message {args.message_id}; `vcn dlq list` shows the ids that exist"
        ) from None
    shown = message.to_json()
    conditions = matched_by(message, RulePatterns(running))
    if conditions is not None:
        shown["MatchedBy"] = conditions
    print(json.dumps(shown, indent=2))
    return 0


def run_redrive(args: argparse.Namespace) -> int:
    target = target_of(args)
    if target.state_dir is None or target.eventbridge_url is None:
        raise CliError(
            "redrive works on the local cloud; on AWS an EventBridge DLQ has no redrive to API destinations: "
            "inspect the messages with `vcn dlq show` and emit their events again with `vcn emit`"
        )
    base = target.eventbridge_url.rstrip("/") + REDRIVE_PATH
    if args.follow:
        run = _local_request("GET", f"{base}/{args.follow}")
    else:
        store = DeadLetterStore(target.state_dir)
        _known_queue(target, store, args.queue)
        _known_messages(store, args.ids)
        body: dict[str, Any] = {"queue": args.queue}
        if args.ids:
            body["messageIds"] = args.ids
        # The running EventBridge redelivers in the background: events go through their rules' targets as
        # configured now; the answer comes at once, with the id to follow.
        run = _local_request("POST", base, body)
    if args.wait or args.follow:
        run = _follow(base, run)
    elif run["State"] == "RUNNING":
        print(
            f"redrive {run['RedriveId']} of {run['Total']} message(s) goes on in the local cloud; "
            f"follow it with `vcn dlq redrive --follow {run['RedriveId']}`",
            file=sys.stderr,
        )
    print(json.dumps(run))
    return 1 if run["Failed"] else 0


def _follow(base: str, run: dict[str, Any]) -> dict[str, Any]:
    """Poll a redrive until it completes, printing progress to stderr whenever it moves."""
    redrive_id = run["RedriveId"]
    shown = None
    try:
        while True:
            progress = (len(run["Redriven"]), len(run["Failed"]))
            if progress != shown:
                shown = progress
                print(
                    f"redrive {redrive_id}: {progress[0] + progress[1]} of {run['Total']} tried, "
                    f"{progress[0]} redriven, {progress[1]} still failing",
                    file=sys.stderr,
                )
            if run["State"] == "COMPLETED":
                return run
            time.sleep(POLL_SECONDS)
            run = _local_request("GET", f"{base}/{redrive_id}")
    except KeyboardInterrupt:
        print(
            f"stopped following; redrive {redrive_id} goes on in the local cloud "
            f"(`vcn dlq redrive --follow {redrive_id}`)",
            file=sys.stderr,
        )
        raise
    except CliError as exc:
        raise CliError(
            f"{exc}; lost redrive {redrive_id}: messages not redriven stay in their queues (`vcn dlq list`)"
        ) from None


def run_pending(args: argparse.Namespace) -> int:
    target = target_of(args)
    if target.state_dir is None:
        raise CliError("pending deliveries are known to the local cloud only; AWS does not show its retries")
    try:
        journal = read_journal(target.state_dir)
    except JournalError as exc:
        raise CliError(str(exc)) from None
    rows = journal.pending
    now = time.time()
    for row in rows:
        rule = _rule_name(row.rule_arn)
        last = f"{row.last_error_code}: {row.last_error_message}" if row.last_error_code else ""
        print(
            f"{row.delivery_id}  {row.event.get('id', '?')}  {rule}/{row.target_id}  "
            f"attempts={row.attempts}  next={_utc(row.next_attempt_at)}  age={now - row.accepted_at:.0f}s  "
            f"{last}".rstrip()
        )
    for unreadable in journal.unreadable:
        print(f"warning: {unreadable.describe()}", file=sys.stderr)
    if not rows:
        other = " other" if journal.unreadable else ""
        print(f"no{other} pending deliveries in {journal_path(target.state_dir)}")
    return 0


def _rule_name(rule_arn: str) -> str:
    try:
        return parse_rule_arn(rule_arn)[1]
    except ValueError:  # a hand-edited row: shown as it is
        return rule_arn


def _local_get(url: str, missing_ok: bool = False) -> Any:
    try:
        response = requests.get(url, timeout=10)
        if missing_ok and response.status_code == 404:
            return None
        response.raise_for_status()
    except requests.RequestException as exc:
        raise CliError(f"cannot read metrics at {url} ({exc}); is `vcn local up` running?") from None
    return response.json()


def appsync_metrics_url(appsync_http: str) -> str:
    """The local AppSync server's counters sit next to its publish endpoint (`.../event`)."""
    return appsync_http.rstrip("/").removesuffix("/event") + METRICS_PATH


def run_metrics(args: argparse.Namespace) -> int:
    target = target_of(args)
    if target.eventbridge_url is not None:
        base = target.eventbridge_url.rstrip("/")
        report = {
            "eventbridge": _local_get(base + METRICS_PATH),
            # null when the template has no AppSync Events API
            "appsync": _local_get(appsync_metrics_url(target.appsync_http)) if target.appsync_http else None,
        }
        # A standalone EventBridge (`python -m vcn.eventbridge`) has no CloudWatch beside it.
        cloudwatch = _local_get(base + CLOUDWATCH_METRICS_PATH, missing_ok=True)
        if cloudwatch is not None:
            report["CloudWatch"] = cloudwatch["Metrics"]
        print(json.dumps(report, indent=2))
        return 0
    cloudwatch = target.boto3_client("cloudwatch")
    now = dt.datetime.now(dt.UTC)
    totals = {}
    for metric in ("Invocations", "FailedInvocations", "InvocationsSentToDlq", "ThrottledRules"):
        points = cloudwatch.get_metric_statistics(
            Namespace="AWS/Events",
            MetricName=metric,
            StartTime=now - dt.timedelta(hours=1),
            EndTime=now,
            Period=3600,
            Statistics=["Sum"],
        )["Datapoints"]
        totals[metric] = sum(point["Sum"] for point in points)
    print(json.dumps({"window": "last hour", "AWS/Events": totals}, indent=2))
    return 0


# `vcn dlq`'s subcommands: name, what runs it, its one-line summary and its description.
_DLQ_ACTIONS: tuple[tuple[str, Callable[[argparse.Namespace], int], str, str], ...] = (
    ("list", run_list, "list dead-letter messages", "List dead-letter messages."),
    ("show", run_show, "show one message", "Show one dead-letter message."),
    (
        "redrive",
        run_redrive,
        "deliver dead-lettered events again",
        "Send dead-lettered events through their rule's target again (local cloud); delivered messages leave "
        "the queue, failed ones stay. The redrive runs in the local cloud: without --wait this prints its id "
        "and returns at once.",
    ),
    (
        "pending",
        run_pending,
        "list deliveries still being retried",
        "List the deliveries the local EventBridge is still retrying (its delivery journal): attempts made, "
        "next attempt, age and last error. They survive restarts of the local cloud.",
    ),
)


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    dlq = commands.add_parser(
        "dlq",
        help="inspect and redrive dead-lettered events",
        description="Dead-letter queues of the rules' targets: list, show one message, redrive; and the "
        "deliveries still being retried.",
    )
    actions = dlq.add_subparsers(
        dest="dlq_command", metavar="{" + ",".join(name for name, *_ in _DLQ_ACTIONS) + "}", required=True
    )
    action = {
        name: target_command(actions, name, run, summary=summary, description=description)
        for name, run, summary, description in _DLQ_ACTIONS
    }
    action["list"].add_argument("--queue", help="only this queue (its SQS queue name)")
    action["show"].add_argument("message_id", help="message id from `vcn dlq list`")
    redrive = action["redrive"]
    redrive.add_argument("--queue", help="only this queue (default: every queue)")
    redrive.add_argument("--id", dest="ids", action="append", help="only this message id (repeatable)")
    following = redrive.add_mutually_exclusive_group()
    following.add_argument(
        "--wait", action="store_true", help="follow the redrive until every message was tried, then report"
    )
    following.add_argument(
        "--follow", metavar="REDRIVE_ID", help="follow a redrive already started instead of starting one"
    )

    target_command(
        commands,
        "metrics",
        run_metrics,
        summary="print delivery metrics",
        description="Print delivery metrics. Local cloud, since start: EventBridge's counters per rule and "
        "target (under `eventbridge`), AppSync Events counters (under `appsync`: connections, messages sent, "
        "slow subscribers dropped, connections closed by deadlines), and under `CloudWatch` every metric of "
        "the local CloudWatch (AWS/Events, AWS/SQS, AWS/Lambda, AWS/AppSync and the functions' custom "
        "metrics) with its totals. Stack: AWS/Events Invocations, FailedInvocations, InvocationsSentToDlq "
        "and ThrottledRules over the last hour.",
    )
