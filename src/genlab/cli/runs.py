"""``genlab runs DIR``: one line per run directory under DIR: family, data, epochs, status, metrics."""


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("runs", help="table of the runs under a folder")
    parser.add_argument("root", nargs="?", default="runs", help="folder holding run directories (default: runs)")
    parser.set_defaults(handler=run)


def run(args) -> int:
    from genlab.runs import format_runs, list_runs

    print(format_runs(list_runs(args.root)))
    return 0
