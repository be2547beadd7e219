import io

from genlab.core.progress import Progress


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_progress_speaks_every_few_seconds_and_not_for_quick_work():
    clock, stream = Clock(), io.StringIO()
    with Progress(100, "importance-weighted NLL", every=5.0, stream=stream, clock=clock) as progress:
        clock.now = 2.0
        progress.update(10)  # too soon: silent
        clock.now = 6.0
        progress.update(40)
        clock.now = 7.0
        progress.update(50)  # too soon after the last line
        clock.now = 12.0
        progress.update(100)  # the end is said by close()
    lines = stream.getvalue().splitlines()
    assert lines == ["genlab: importance-weighted NLL: 40% (40/100 images, 6 s, about 9 s left)",
                     "genlab: importance-weighted NLL: done (100 images in 12 s)"]
    quiet = io.StringIO()
    with Progress(10, "quick", stream=quiet, clock=Clock()) as progress:
        progress.update(10)
    assert quiet.getvalue() == ""
