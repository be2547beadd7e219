"""``genlab evaluate RUN``: the family's test-split figures, printed and saved in metrics.json."""

from genlab.cli.common import positive_int


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("evaluate", help="evaluate a run on its test split (saved in metrics.json)")
    parser.add_argument("run", help="run directory")
    parser.add_argument("--data", default=None, help="data source (default: the run's)")
    parser.add_argument("--limit", type=positive_int, default=None, help="use at most N test examples")
    parser.set_defaults(handler=run)


def run(args) -> int:
    from genlab.evaluation import evaluate_run, format_table

    result = evaluate_run(args.run, data=args.data, limit=args.limit)
    print(format_table(result["table"]))
    print(f"({result['protocol']['examples']} test examples of {result['protocol']['data']}; saved in metrics.json)")
    return 0
