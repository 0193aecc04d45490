"""The `heed` command: dev stack, services, replay, demo, report, explain, bench, AsyncAPI, DLQ."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path

from heed.runtime.settings import HeedSettings


def _state_dir() -> Path:
    return HeedSettings().state_dir


def cmd_dev(args: argparse.Namespace) -> int:
    from heed import devstack

    settings = HeedSettings()
    if args.action == "up":
        state = devstack.up(settings.state_dir, settings.kafka_bootstrap, settings.database_url)
        print(json.dumps({"kafka_bootstrap": state.kafka_bootstrap,
                          "database": "embedded" if state.embedded_postgres else "external",
                          "state_dir": str(settings.state_dir)}))
    elif args.action == "down":
        stopped = devstack.down(settings.state_dir)
        print("stopped: " + (", ".join(stopped) if stopped else "nothing was running"))
    elif args.action == "topics":
        created = asyncio.run(devstack.create_topics(settings.resolved_kafka(),
                                                     replication=settings.topic_replication_factor))
        print("created: " + (", ".join(created) if created else "none (all exist)"))
    else:
        print(json.dumps(devstack.status(settings.state_dir)))
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from heed.runtime.logs import configure_logging
    from heed.runtime.telemetry import configure_tracing
    from heed_ops.services import SERVICES, build_service

    if args.service == "all":
        from heed_ops.processes import ServiceProcesses, supervise

        settings = HeedSettings()
        env = {"HEED_STATE_DIR": str(settings.state_dir.resolve())}
        return supervise(ServiceProcesses(env=env, log_dir=settings.state_dir / "logs",
                                          base_port=args.base_port))
    if args.service not in SERVICES:
        print(f"heed run: unknown service {args.service!r}; one of: all, {', '.join(SERVICES)}", file=sys.stderr)
        return 2
    configure_logging(args.service, os.environ.get("HEED_LOG_LEVEL", "INFO"))
    configure_tracing(args.service)
    from heed.runtime.service import serve

    serve(build_service(args.service))
    return 0


def cmd_replay(args: argparse.Namespace) -> int:
    from functools import partial

    from heed_ingest.replay import count_lines
    from heed_ops.demo import replay
    from heed_ops.progress import progress_bars

    path = Path(args.file)
    if not path.is_file():
        print(f"heed replay: no such file: {path}", file=sys.stderr)
        return 2
    with progress_bars() as bars:
        task = bars.add_task("replayed", total=count_lines(path))
        sent = asyncio.run(replay(HeedSettings().resolved_kafka(), path, partial(bars.advance, task)))
    print(f"{sent} lines published to the raw topic (malformed lines go to the DLQ with their line number)")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from heed_ops.demo import SAMPLE, run_demo

    run_demo(_state_dir(), Path(args.sample) if args.sample else SAMPLE, as_json=args.json,
             keep_running=args.serve and not args.json)
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from heed_ops.report import collect, format_table, parse_since

    try:
        since = parse_since(args.since) if args.since else None
    except ValueError as bad:
        print(f"heed report: {bad}", file=sys.stderr)
        return 2
    figures = asyncio.run(collect(HeedSettings().resolved_database(), since, breakdown=True, by=args.by))
    print(json.dumps(figures, ensure_ascii=False) if args.json else format_table(figures))
    return 0


def cmd_crm_refused(args: argparse.Namespace) -> int:
    from heed_ops.crm import refused_items

    items = asyncio.run(refused_items(args.limit))
    if args.json:
        print(json.dumps(items))
    elif not items:
        print("nothing refused: every record the CRMs were sent was saved")
    else:
        for item in items:
            print(f"{item['crm']} {item['kind']} {item['id']} (customer {item['customer_id']}), "
                  f"{item['attempts']} tries, next {item['next_try']}: {item['reason']}")
    return 0


def cmd_crm(args: argparse.Namespace) -> int:
    from heed_ops.crm import reconcile_all

    figures = asyncio.run(reconcile_all())
    if args.json:
        print(json.dumps(figures))
    else:
        for name, f in figures.items():
            print(f"{name}: {f['contacts_compared']} contacts compared, {f['fields_taken']} fields taken, "
                  f"{f['contacts_pushed']} contacts and {f['interactions_pushed']} interactions pushed"
                  + (f", errors: {'; '.join(f['errors'])}" if f["errors"] else ""))
    return 1 if any(f["errors"] for f in figures.values()) else 0


def cmd_explain(args: argparse.Namespace) -> int:
    from heed_ops.explain import explain, format_story

    story = asyncio.run(explain(HeedSettings().resolved_database(), args.channel, args.native_id,
                                with_text=args.text))
    if story is None:
        print(f"heed explain: no mention {args.channel}/{args.native_id} in ingest's ledger "
              "(check the channel and the platform's id of the post)", file=sys.stderr)
        return 1
    print(json.dumps(story, ensure_ascii=False) if args.json else format_story(story))
    return 0


def cmd_agents(args: argparse.Namespace) -> int:
    import getpass

    from heed_ops import agents
    from heed_router.domain.accounts import AccountError

    dsn = HeedSettings().resolved_database()
    if args.action == "list":
        found = asyncio.run(agents.listing(dsn))
        print(json.dumps([agents.as_dict(a) for a in found]) if args.json else agents.format_list(found))
        return 0
    if not args.name:
        print(f"heed agents {args.action}: give the agent's name", file=sys.stderr)
        return 2
    if args.action == "disable":
        if not asyncio.run(agents.disable(dsn, args.name)):
            print(f"heed agents disable: no agent named {args.name!r}", file=sys.stderr)
            return 1
        print(f"{args.name} disabled; their sessions are ended")
        return 0
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass(f"password for {args.name}: ")
        if getpass.getpass("again: ") != password:
            print("heed agents add: the two passwords differ", file=sys.stderr)
            return 2
    try:
        agent = asyncio.run(agents.add(dsn, args.name, password, args.role, args.department or [], args.language))
    except AccountError as refused:
        print(f"heed agents add: {refused}", file=sys.stderr)
        return 2
    print(json.dumps(agents.as_dict(agent)) if args.json else
          f"{agent.name} added as {agent.role.value}" + (f" in {', '.join(agent.departments)}" if agent.departments
                                                         else ""))
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from heed_ops.bench import run_bench, run_classifier_bench, run_webhook_bench

    if args.webhooks:
        figures = run_webhook_bench(_state_dir())
        print(json.dumps(figures) if args.json else
              f"ingest webhooks: {figures['requests_per_s']} requests/s, p50 {figures['latency']['p50']}, "
              f"p99 {figures['latency']['p99']}, non-2xx {figures['non_2xx']}")
        return 0 if figures["non_2xx"] == 0 else 1
    if args.classifier:
        figures = run_classifier_bench(args.mentions)
        print(json.dumps(figures) if args.json else
              f"classifier {figures['model_version']}: {figures['posts_per_s']} posts/s on one core")
        return 0

    result = run_bench(_state_dir(), args.mentions, args.rate)
    if args.json:
        print(json.dumps(result))
    else:
        lat, bare = result["latency_ms"], result["relay_latency_ms"]
        print(f"{result['mentions']} mentions, rate {args.rate or 'max'}: {result['mentions_per_s']} mentions/s "
              f"end to end; receipt→reply p50 {lat['p50']} ms, p99 {lat['p99']} ms; "
              f"lost {result['lost']}, duplicate sends {result['duplicate_sends']}\n"
              f"bare relay, same broker and hops (mean of a run before and one after): "
              f"{result['relay_mentions_per_s']} mentions/s, p50 {bare['p50']} ms, p99 {bare['p99']} ms; "
              f"efficiency {result['efficiency']} (Heed's mentions/s ÷ the relay's)")
    return 0 if result["lost"] == 0 else 1


def cmd_asyncapi(args: argparse.Namespace) -> int:
    from heed.contracts.asyncapi import render

    text = render()
    if args.out:
        Path(args.out).write_text(text)
    else:
        print(text)
    return 0


def cmd_dlq(args: argparse.Namespace) -> int:
    from datetime import timedelta

    from heed_ingest.settings import IngestSettings
    from heed_ops import dlq

    settings = IngestSettings()  # ingest owns the archive and its retention
    dsn = settings.resolved_database()
    if args.action == "list":
        since = dlq.parse_since(args.since) if args.since else None
        letters = asyncio.run(dlq.list_letters(dsn, since=since, topic=args.topic, service=args.service,
                                               limit=args.limit))
        print(json.dumps([dlq.summary(d) for d in letters]) if args.json else dlq.format_list(letters))
        return 0
    if args.action == "show":
        (letter_id,) = dlq.parse_ids([args.id])
        letter, body = asyncio.run(dlq.find_letter(dsn, letter_id, with_body=args.body))
        if letter is None:
            print(f"heed dlq show: no dead letter {letter_id}", file=sys.stderr)
            return 1
        print(json.dumps(dlq.record_json(letter, body), ensure_ascii=False) if args.json
              else dlq.format_record(letter, body))
        return 0
    if args.action == "replay":
        if bool(args.ids) == args.all:
            print("heed dlq replay: give either dead letter ids or --all", file=sys.stderr)
            return 2
        ids = None if args.all else dlq.parse_ids(args.ids)
        bootstrap = None if args.dry_run else settings.resolved_kafka()
        result = asyncio.run(dlq.replay(dsn, bootstrap, ids, topic=args.topic, force=args.force,
                                        dry_run=args.dry_run, raw_source=args.raw_source))
        print(result.describe())
        return 0 if result.ok else 1
    days = settings.dlq_retention_days if args.retention else args.older_than
    if days <= 0:
        print("heed dlq purge: --older-than takes a number of days above 0", file=sys.stderr)
        return 2
    purged = asyncio.run(dlq.purge(dsn, timedelta(days=days)))
    print(f"purged {purged} dead letter(s) that failed more than {days:g} days ago")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="heed", description="Heed: social-media customer care")
    sub = parser.add_subparsers(dest="command", required=True)

    dev = sub.add_parser("dev", help="the embedded dev stack: broker and database")
    dev.add_argument("action", choices=["up", "down", "status", "topics"])
    dev.set_defaults(func=cmd_dev)

    run = sub.add_parser("run", help="run a service (or all five, supervised)")
    run.add_argument("service", help="ingest, classifier, router, responder, crm-sync or all")
    run.add_argument("--base-port", type=int, default=8080,
                     help="with `all`: public ports base..base+4, internal (readiness, metrics) base+100..base+104")
    run.set_defaults(func=cmd_run)

    replay = sub.add_parser("replay", help="publish a JSONL file of mentions to the raw topic")
    replay.add_argument("file")
    replay.set_defaults(func=cmd_replay)

    demo = sub.add_parser("demo", help="start everything, replay the bundled sample, print a summary")
    demo.add_argument("--json", action="store_true")
    demo.add_argument("--sample", help="another JSONL file to replay")
    demo.add_argument("--serve", action="store_true",
                      help="then keep everything running with the console's URL and a demo login until Ctrl-C "
                           "(what `make run` does; ignored with --json)")
    demo.set_defaults(func=cmd_demo)

    report = sub.add_parser("report", help="figures for whatever has run, from PostgreSQL")
    report.add_argument("--json", action="store_true")
    report.add_argument("--since", help="only what arrived since: an ISO time, or a span back from now (30m, 2h, 1d)")
    report.add_argument("--by", choices=("channel", "department", "day"), help="case figures per group")
    report.set_defaults(func=cmd_report)

    crm = sub.add_parser("crm", help="the external CRMs (HubSpot, Salesforce)")
    crm_sub = crm.add_subparsers(dest="action", required=True)
    crm_reconcile = crm_sub.add_parser("reconcile", help="compare every linked contact and repair drift both ways")
    crm_reconcile.add_argument("--json", action="store_true")
    crm_reconcile.set_defaults(func=cmd_crm)
    crm_refused = crm_sub.add_parser("refused", help="the records a CRM refused, waiting to be tried again, and why")
    crm_refused.add_argument("--json", action="store_true")
    crm_refused.add_argument("--limit", type=int, default=1000, help="at most this many, oldest first")
    crm_refused.set_defaults(func=cmd_crm_refused)

    explain = sub.add_parser("explain", help="everything Heed knows and did about one mention")
    explain.add_argument("channel", help="weibo, wechat, x, facebook, …")
    explain.add_argument("native_id", help="the platform's id of the post")
    explain.add_argument("--json", action="store_true")
    explain.add_argument("--text", action="store_true",
                         help="include the mention's text and the customer's name (personal data)")
    explain.set_defaults(func=cmd_explain)

    agents = sub.add_parser("agents", help="the console's accounts: add (e.g. the first admin), list, disable")
    agents.add_argument("action", choices=["add", "list", "disable"])
    agents.add_argument("name", nargs="?", help="the login name (add, disable)")
    agents.add_argument("--role", choices=["agent", "supervisor", "admin"], default="agent")
    agents.add_argument("--department", action="append", help="a department whose queue they work (repeatable)")
    agents.add_argument("--language", default="en", help="the console's language: en, zh-Hans, zh-Hant, th")
    agents.add_argument("--password-stdin", action="store_true", help="read the password from one line of stdin")
    agents.add_argument("--json", action="store_true")
    agents.set_defaults(func=cmd_agents)

    bench = sub.add_parser("bench", help="end-to-end throughput and latency, and their ratio to a bare relay's")
    bench.add_argument("--mentions", type=int, default=10000)
    bench.add_argument("--rate", type=float, default=None, help="mentions/s to publish at (default: max)")
    bench.add_argument("--json", action="store_true")
    bench.add_argument("--classifier", action="store_true", help="the classifier alone, one core, in batch")
    bench.add_argument("--webhooks", action="store_true", help="signed webhooks at ingest alone, with wrk")
    bench.set_defaults(func=cmd_bench)

    asyncapi = sub.add_parser("asyncapi", help="the AsyncAPI document generated from the contracts")
    asyncapi.add_argument("--out")
    asyncapi.set_defaults(func=cmd_asyncapi)

    dlq = sub.add_parser("dlq", help="dead letters: list, show, replay to their topic, purge by age")
    dlq_sub = dlq.add_subparsers(dest="action", required=True)
    dlq_list = dlq_sub.add_parser("list", help="newest first, without bodies")
    dlq_list.add_argument("--since", help="30m, 24h, 7d or an ISO date/time")
    dlq_list.add_argument("--topic", help="only dead letters from this source topic")
    dlq_list.add_argument("--service", help="only dead letters from this service")
    dlq_list.add_argument("--limit", type=int, default=50)
    dlq_list.add_argument("--json", action="store_true")
    dlq_show = dlq_sub.add_parser("show", help="one dead letter; its body only with --body")
    dlq_show.add_argument("id")
    dlq_show.add_argument("--body", action="store_true", help="print the original bytes (personal data)")
    dlq_show.add_argument("--json", action="store_true")
    dlq_replay = dlq_sub.add_parser("replay", help="publish the original bytes back to their source topic")
    dlq_replay.add_argument("ids", nargs="*", metavar="ID")
    dlq_replay.add_argument("--all", action="store_true", help="every dead letter not yet replayed")
    dlq_replay.add_argument("--topic", help="only dead letters from this source topic")
    dlq_replay.add_argument("--force", action="store_true", help="replay ones already replayed, again")
    dlq_replay.add_argument("--dry-run", action="store_true", help="say what would be replayed, publish nothing")
    dlq_replay.add_argument("--raw-source", help="for raw bodies archived without their source: how they arrived "
                                                 "(webhook:meta, api, …)")
    dlq_purge = dlq_sub.add_parser("purge", help="delete dead letters past an age")
    age = dlq_purge.add_mutually_exclusive_group(required=True)
    age.add_argument("--older-than", type=float, metavar="DAYS")
    age.add_argument("--retention", action="store_true", help="older than HEED_DLQ_RETENTION_DAYS (default 30)")
    dlq.set_defaults(func=cmd_dlq)

    from heed_classifier.cli import add_commands

    add_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except (RuntimeError, FileNotFoundError, ValueError) as exc:
        print(f"heed {args.command}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
