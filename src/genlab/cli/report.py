"""``genlab report RUN``: write RUN/report.html (self-contained) and print its path."""

from genlab.cli.common import add_overwrite_flag


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("report", help="write a self-contained HTML report of a run")
    parser.add_argument("run", help="run directory")
    parser.add_argument("--out", default=None, help="HTML path (default: RUN/report.html)")
    add_overwrite_flag(parser)
    parser.set_defaults(handler=run)


def run(args) -> int:
    from genlab.report import build_report

    print(build_report(args.run, out=args.out, overwrite=args.overwrite))
    return 0
