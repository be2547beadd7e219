"""``genlab detect RUN --data csv:FILE``: score every row with a detector run, in chunks.

Writes ``row_id, score, flag[, top_features]`` (row_id counts data rows from 0; flag is 1
above the run's threshold; top_features names the features that contribute most).
"""

from genlab.cli.common import add_overwrite_flag, positive_int

CHUNK_SIZE = 50_000  # equal to genlab.workflows.detection.CHUNK_SIZE (CLI modules import the library lazily)


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("detect", help="score the rows of a CSV/Parquet table with a detector run")
    parser.add_argument("run", help="detector run directory (genlab train detector)")
    parser.add_argument("--data", required=True, help="table to score: csv:PATH or parquet:PATH")
    parser.add_argument("--out", default=None, help="scores CSV to write (default: RUN/detections.csv)")
    parser.add_argument("--chunk-size", type=positive_int, default=CHUNK_SIZE,
                        help=f"rows read and scored at a time; bounds memory (default: {CHUNK_SIZE})")
    parser.add_argument("--top-features", type=int, default=None,
                        help="features named per row, 0 for none (default: the run's, 3)")
    parser.add_argument("--drop", default="", help="extra columns of the table to ignore, comma-separated")
    add_overwrite_flag(parser)
    parser.set_defaults(handler=run)


def run(args) -> int:
    from genlab.workflows.detection import detect_file

    drop = tuple(c.strip() for c in args.drop.split(",") if c.strip())
    summary = detect_file(args.run, args.data, out=args.out, chunk_size=args.chunk_size,
                          top_features=args.top_features, drop=drop, overwrite=args.overwrite)
    print(f"scored {summary['rows']} rows, flagged {summary['flagged']} above threshold {summary['threshold']:.6g} "
          f"({summary['rows_per_second']:.0f} rows/s) -> {summary['out']}")
    return 0
