"""``genlab evaluate RUN``: the family's test-split figures, printed and saved in metrics.json."""

from genlab.cli.common import positive_int, seed_int


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("evaluate", help="evaluate a run on its test split (saved in metrics.json)")
    parser.add_argument("run", help="run directory")
    parser.add_argument("--data", default=None, help="data source (default: the run's)")
    parser.add_argument("--limit", type=positive_int, default=None, help="use at most N test examples")
    parser.add_argument("--label", default=None,
                        help="detector runs: label column of --data (0 normal, 1 anomaly; default: the run's)")
    group = parser.add_argument_group(
        "generator runs: distribution metrics (on by default for GANs; giving any of these turns them on for VAEs)")
    group.add_argument("--metrics", default=None,
                       help="comma-separated, from fid,kid,is,precision_recall,density_coverage (default: all)")
    group.add_argument("--n", type=positive_int, default=None,
                       help="generated images, and at most this many real reference images (default: 10000)")
    group.add_argument("--features", default=None,
                       help="feature extractor: lite0 (offline default), mobilenet, inception, random, or a "
                            "classifier RUN_DIR (adds mode coverage and conditional accuracy)")
    group.add_argument("--weights", default=None, help="weights file of the extractor (inception: the .h5)")
    group.add_argument("--resolution", type=positive_int, default=None,
                       help="extractor input size in pixels (default: the network's, 224 for lite0, 299 for inception)")
    group.add_argument("--reference-split", choices=("test", "train"), default=None,
                       help="real images the generator is compared with (default: test)")
    group.add_argument("--seed", type=seed_int, default=None, help="seed of the samples and subsets (default: 0)")
    group.add_argument("--no-baseline", action="store_true",
                       help="skip the row of real images of the other split (the floor of each figure)")
    parser.set_defaults(handler=run)


DISTRIBUTION_OPTIONS = {"metrics": "metrics", "n": "n", "features": "extractor", "weights": "weights",
                        "resolution": "resolution", "reference_split": "reference_split", "seed": "seed"}


def distribution_options(args) -> dict | None:
    """The distribution-metric options the user gave (None: none given, the family's default applies)."""
    options = {key: getattr(args, flag) for flag, key in DISTRIBUTION_OPTIONS.items() if getattr(args, flag) is not None}
    if args.no_baseline:
        options["baseline"] = False
    return options or None


def run(args) -> int:
    from genlab.workflows.evaluate import evaluate_run, format_table

    result = evaluate_run(args.run, data=args.data, limit=args.limit, label=args.label,
                          distribution=distribution_options(args))
    print(format_table(result["table"]))
    if "distribution" in result["protocol"]:
        print(describe_protocol(result["protocol"]["distribution"]))
    if "plots" in result:  # detector runs: ROC, PR and score histogram PNGs
        print("plots: " + ", ".join(str(path) for path in result["plots"].values()))
    if result["protocol"].get("examples"):
        print(f"({result['protocol']['examples']} test examples of {result['protocol']['data']}; saved in metrics.json)")
    else:
        print("(saved in metrics.json)")
    return 0


def describe_protocol(protocol: dict) -> str:
    """One paragraph saying how the distribution figures were made."""
    extractor, reference = protocol["extractor"], protocol["reference"]
    lines = [
        f"distribution metrics: {protocol['generated']['n']} generated images (seed {protocol['generated']['seed']}) "
        f"vs {reference['size']} real {reference['split']} images of {reference['data']}",
        f"features: {extractor['extractor']} (sha256 {extractor['weights_sha256'][:12]}), "
        f"{extractor['resolution'][0]}x{extractor['resolution'][1]}, {extractor['resize']}",
    ]
    lines += [f"not computed: {name} ({why})" for name, why in protocol.get("skipped", {}).items()]
    return "\n".join(lines)
