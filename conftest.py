"""Shared pytest setup: TensorFlow backend, offline data folder, a seeded and clean Keras session.

Tests pass on any clone, online or not, with or without genlab's shared data folder: a test
that needs a pretrained weights file asks for the ``lite0_weights`` or ``mobilenet_weights``
fixture, which gives the real file when the data folders hold it (CI: ``../shared/data``
beside the clone) and otherwise a file in the same format with random weights and the real
architecture, made here and found through ``GENLAB_DATA`` like the real one. Tests that need
a real dataset make a tiny one in ``tmp_path``; those that need the real file's contents
(ImageNet predictions, the MNIST split sizes) skip, naming the file. No test downloads.
"""

import gc
import os
from pathlib import Path

os.environ["KERAS_BACKEND"] = "tensorflow"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
_shared = Path(__file__).resolve().parent.parent / "shared" / "data"
if _shared.is_dir():
    os.environ.setdefault("GENLAB_DATA", str(_shared))

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

LITE0_FILE = "efficientnet_lite0_imagenet_keras.npz"
MOBILENET_FILE = "mobilenet_2_5_224_tf_no_top.h5"
#: EfficientNet-Lite0's 16 MBConv blocks: (kernel, stride, expansion, input channels, output channels)
LITE0_BLOCKS = (
    [(3, 1, 1, 32, 16)]
    + [(3, 2, 6, 16, 24), (3, 1, 6, 24, 24)]
    + [(5, 2, 6, 24, 40), (5, 1, 6, 40, 40)]
    + [(3, 2, 6, 40, 80)] + [(3, 1, 6, 80, 80)] * 2
    + [(5, 1, 6, 80, 112)] + [(5, 1, 6, 112, 112)] * 2
    + [(5, 2, 6, 112, 192)] + [(5, 1, 6, 192, 192)] * 3
    + [(3, 1, 6, 192, 320)]
)


def _collect_and_freeze():
    """Collect garbage, then move every survivor out of later collections' scans (gc.freeze)."""
    gc.collect()
    gc.freeze()


def pytest_collection_finish(session):
    # TensorFlow, Keras and the test modules (~0.5 M objects) live to the end: scanning them
    # at each test's gc.collect() took ~0.3-2 s a test, half of the suite's time.
    _collect_and_freeze()


_modules_since_full_collection = [0]


@pytest.fixture(scope="module", autouse=True)
def collect_module_garbage():
    yield
    # Every few modules, after their fixtures are gone: reclaim the frozen objects they left
    # in reference cycles (a full scan, ~0.5 s; every module would cost ~30 s a suite).
    _modules_since_full_collection[0] += 1
    if _modules_since_full_collection[0] >= 8:
        _modules_since_full_collection[0] = 0
        gc.unfreeze()
        _collect_and_freeze()


@pytest.fixture(autouse=True)
def seeded_session():
    keras.backend.clear_session(free_memory=False)
    keras.utils.set_random_seed(0)
    keras.mixed_precision.set_global_policy("float32")
    yield
    keras.backend.clear_session(free_memory=False)
    _collect_and_freeze()  # frees the test's models and graphs; scans only what the test made


def random_lite0_file(path: Path, classes: int = 1000) -> Path:
    """An ``efficientnet_lite0_imagenet_keras.npz`` in the real layout, with random weights."""
    rng = np.random.default_rng(0)
    arrays: dict[str, np.ndarray] = {}

    def conv(name, kh, kw, cin, cout):
        arrays[name] = (rng.standard_normal((kh, kw, cin, cout)) * np.sqrt(2.0 / (kh * kw * cin))).astype("float32")

    def batch_norm(prefix, channels):
        arrays[f"{prefix}.weight"] = rng.uniform(0.5, 1.0, channels).astype("float32")
        arrays[f"{prefix}.bias"] = rng.uniform(-0.1, 0.1, channels).astype("float32")
        arrays[f"{prefix}.running_mean"] = rng.uniform(-0.1, 0.1, channels).astype("float32")
        arrays[f"{prefix}.running_var"] = rng.uniform(0.5, 1.5, channels).astype("float32")

    conv("_conv_stem.weight", 3, 3, 3, 32)
    batch_norm("_bn0", 32)
    for index, (kernel, _, expansion, cin, cout) in enumerate(LITE0_BLOCKS):
        prefix, hidden = f"_blocks.{index}", cin * expansion
        if expansion != 1:
            conv(f"{prefix}._expand_conv.weight", 1, 1, cin, hidden)
            batch_norm(f"{prefix}._bn0", hidden)
        conv(f"{prefix}._depthwise_conv.weight", kernel, kernel, hidden, 1)
        batch_norm(f"{prefix}._bn1", hidden)
        conv(f"{prefix}._project_conv.weight", 1, 1, hidden, cout)
        batch_norm(f"{prefix}._bn2", cout)
    conv("_conv_head.weight", 1, 1, 320, 1280)
    batch_norm("_bn1", 1280)
    arrays["_fc.weight"] = (rng.standard_normal((1280, classes)) * 0.01).astype("float32")
    arrays["_fc.bias"] = np.zeros(classes, "float32")
    arrays["meta_block_strides"] = np.array([block[1] for block in LITE0_BLOCKS], "int32")
    arrays["meta_note"] = np.array("random weights with EfficientNet-Lite0's architecture (made by conftest.py)")
    np.savez(path, **arrays)
    return path


def random_mobilenet_file(path: Path) -> Path:
    """A ``mobilenet_2_5_224_tf_no_top.h5`` (legacy Keras HDF5 weights of MobileNet v1 alpha
    0.25 without its top, as keras.applications publishes it), with random weights."""
    import h5py
    from keras.src.legacy.saving import legacy_h5_format

    model = keras.applications.MobileNet(input_shape=(32, 32, 3), alpha=0.25, include_top=False, weights=None)
    with h5py.File(path, "w") as handle:
        legacy_h5_format.save_weights_to_hdf5_group(handle, model)
    return path


_MAKERS = {LITE0_FILE: random_lite0_file, MOBILENET_FILE: random_mobilenet_file}


def _weights_file(file_name: str, tmp_path_factory, monkeypatch) -> Path:
    """The real ``file_name`` from the data folders, or a random-weight one made once per session
    in a folder put first on ``GENLAB_DATA``, so that lookups by name find it."""
    from genlab.data.sources import find_data_file

    real = find_data_file(file_name)
    if real is not None:
        return real
    folder = tmp_path_factory.getbasetemp() / "random_weights"
    folder.mkdir(exist_ok=True)
    path = folder / file_name
    if not path.is_file():
        partial = folder / f"partial_{file_name}"
        _MAKERS[file_name](partial)
        partial.rename(path)
    monkeypatch.setenv("GENLAB_DATA", os.pathsep.join(p for p in (str(folder), os.environ.get("GENLAB_DATA")) if p))
    return path


@pytest.fixture
def lite0_weights(tmp_path_factory, monkeypatch) -> Path:
    """EfficientNet-Lite0 weights found by name (``pretrained:lite0``, extractor ``lite0``):
    the real file when present, else random weights with the real architecture."""
    return _weights_file(LITE0_FILE, tmp_path_factory, monkeypatch)


@pytest.fixture
def mobilenet_weights(tmp_path_factory, monkeypatch) -> Path:
    """MobileNet (alpha 0.25) weights found by name: the real file when present, else random."""
    return _weights_file(MOBILENET_FILE, tmp_path_factory, monkeypatch)
