"""``--help`` and argument errors answer before TensorFlow loads (it takes seconds to import):
checked by what is imported, not by a clock."""

import subprocess
import sys

import pytest

PROBE = """
import sys
from genlab.cli.main import main
try:
    main(sys.argv[1:])
except SystemExit as exit:
    code = exit.code
heavy = sorted(name for name in ("tensorflow", "keras") if name in sys.modules)
print("HEAVY=" + ",".join(heavy))
"""


@pytest.mark.parametrize("argv", [
    ["--help"], ["train", "--help"], ["train", "vae", "--help"], ["train", "detector", "--help"],
    ["sample", "--help"], ["detect", "--help"], ["upscale", "--help"], ["finetune", "--help"],
    ["sample"],  # a missing argument
    ["train", "vae", "--no-such-flag"],  # an unknown flag
])
def test_help_and_argument_errors_do_not_import_tensorflow(argv):
    result = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, timeout=120)
    assert "HEAVY=\n" in result.stdout, (result.stdout[-500:], result.stderr[-500:])


def test_a_command_that_runs_still_gets_tensorflow(tmp_path):
    result = subprocess.run([sys.executable, "-c", PROBE, "runs", str(tmp_path)], capture_output=True, text=True,
                            timeout=120)
    assert "HEAVY=keras,tensorflow" in result.stdout, (result.stdout[-500:], result.stderr[-500:])
