"""The genlab command line: each subcommand parses its arguments and calls one library function."""
