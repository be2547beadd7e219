import numpy as np
import pytest
from PIL import Image

from genlab.data import epoch_batches, load_image_data, scale_images, to_uint8
from genlab.data.sources import find_data_file
from genlab.core.errors import GenlabError


def test_digits_is_builtin_uint8_with_labels():
    data = load_image_data("digits")
    assert data.x_train.dtype == np.uint8 and data.image_shape == (8, 8, 1)
    assert len(data.x_train) + len(data.x_test) == 1797
    assert data.num_classes == 10 and data.x_train.max() == 255


def test_limit_keeps_a_seeded_subset():
    a, b = load_image_data("digits", limit=50, seed=3), load_image_data("digits", limit=50, seed=3)
    assert len(a.x_train) == 50
    np.testing.assert_array_equal(a.x_train, b.x_train)
    assert not np.array_equal(a.x_train, load_image_data("digits", limit=50, seed=4).x_train)


def test_unknown_source_lists_the_known_ones():
    with pytest.raises(GenlabError, match="known sources: .*digits"):
        load_image_data("imagenet")


def test_missing_offline_dataset_says_where_it_looked(monkeypatch, tmp_path):
    monkeypatch.setenv("GENLAB_DATA", str(tmp_path))
    monkeypatch.setenv("HOME", str(tmp_path))
    import keras

    def offline(*args, **kwargs):
        raise OSError("no network")

    monkeypatch.setattr(keras.datasets.mnist, "load_data", offline)
    with pytest.raises(GenlabError, match=f"not found: no mnist.npz in {tmp_path}"):
        load_image_data("mnist")


def test_named_datasets_load_offline_from_files_in_genlab_data(monkeypatch, tmp_path):
    """mnist.npz / fashion_mnist.npz in keras.datasets' layout, and cifar10_jpeg.npz (JPEG bytes
    and offsets), written tiny here; found through GENLAB_DATA, never downloaded."""
    import io

    import keras

    def no_download(*args, **kwargs):
        raise AssertionError("tried to download")

    for loader in (keras.datasets.mnist, keras.datasets.fashion_mnist, keras.datasets.cifar10):
        monkeypatch.setattr(loader, "load_data", no_download)
    monkeypatch.setenv("GENLAB_DATA", str(tmp_path))
    rng = np.random.default_rng(0)
    gray = rng.integers(0, 256, (12, 28, 28), dtype=np.uint8)
    np.savez(tmp_path / "mnist.npz", x_train=gray[:8], y_train=np.arange(8) % 10, x_test=gray[8:], y_test=np.arange(4))
    mnist = load_image_data("mnist", limit=5)
    assert mnist.image_shape == (28, 28, 1) and len(mnist.x_train) == 5 and len(mnist.x_test) == 4
    np.testing.assert_array_equal(mnist.x_test[..., 0], gray[8:])
    assert mnist.class_names[3] == "3"
    np.savez(tmp_path / "fashion_mnist.npz", x_train=gray[:8], y_train=np.arange(8), x_test=gray[8:], y_test=np.arange(4))
    assert load_image_data("fashion_mnist").class_names[9] == "Ankle boot"
    blobs, offsets = [], [0]
    for _ in range(6):
        buffer = io.BytesIO()
        Image.fromarray(rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)).save(buffer, format="JPEG")
        blobs.append(buffer.getvalue())
        offsets.append(offsets[-1] + len(blobs[-1]))
    blob = np.frombuffer(b"".join(blobs), np.uint8)
    np.savez(tmp_path / "cifar10_jpeg.npz", train_jpeg=blob, train_offsets=np.array(offsets), y_train=np.arange(6),
             test_jpeg=blob, test_offsets=np.array(offsets), y_test=np.arange(6))
    cifar = load_image_data("cifar10")
    assert cifar.image_shape == (32, 32, 3) and len(cifar.x_train) == len(cifar.x_test) == 6
    assert sorted(cifar.y_train.tolist()) == list(range(6)) and cifar.class_names[0] == "airplane"


@pytest.mark.skipif(find_data_file("mnist.npz") is None,
                    reason="needs the real mnist.npz (keras.datasets layout): set GENLAB_DATA to a folder holding it "
                           "(genlab's shared data folder)")
def test_mnist_from_the_offline_file():
    data = load_image_data("mnist", limit=100)
    assert data.image_shape == (28, 28, 1) and len(data.x_test) == 10000 and data.num_classes == 10


def test_npz_source_splits_and_scales_floats(tmp_path):
    x = np.random.default_rng(0).uniform(size=(20, 8, 8)).astype(np.float32)
    np.savez(tmp_path / "d.npz", x=x, y=np.arange(20) % 2)
    data = load_image_data(f"npz:{tmp_path / 'd.npz'}")
    assert data.image_shape == (8, 8, 1) and len(data.x_train) == 18 and len(data.x_test) == 2
    np.savez(tmp_path / "bad.npz", x=x * 1000)
    with pytest.raises(GenlabError, match=r"\[0, 1\] or \[0, 255\]"):
        load_image_data(f"npz:{tmp_path / 'bad.npz'}")
    with pytest.raises(GenlabError, match="does not exist"):
        load_image_data(f"npz:{tmp_path / 'nothing.npz'}")


def test_folder_source_with_class_subfolders(tmp_path):
    for label in ("cats", "dogs"):
        (tmp_path / label).mkdir()
        for i in range(5):
            Image.fromarray(np.full((8, 8, 3), 40 * i, np.uint8)).save(tmp_path / label / f"{i}.png")
    data = load_image_data(f"folder:{tmp_path}")
    assert data.class_names == ["cats", "dogs"] and data.image_shape == (8, 8, 3)
    assert len(data.x_train) + len(data.x_test) == 10


def test_folder_source_refuses_mixed_sizes_and_corrupt_files(tmp_path):
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(tmp_path / "a.png")
    Image.fromarray(np.zeros((9, 8), np.uint8)).save(tmp_path / "b.png")
    with pytest.raises(GenlabError, match="different sizes"):
        load_image_data(f"folder:{tmp_path}")
    (tmp_path / "b.png").write_bytes(b"not a png")
    with pytest.raises(GenlabError, match="cannot read image .*--skip-bad-images"):
        load_image_data(f"folder:{tmp_path}")
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(tmp_path / "c.png")
    data = load_image_data(f"folder:{tmp_path}", skip_bad_images=True)
    assert len(data.x_train) + len(data.x_test) == 2
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(GenlabError, match="holds no images"):
        load_image_data(f"folder:{empty}")


def test_scaling_round_trip_and_ranges():
    images = np.arange(256, dtype=np.uint8).reshape(1, 16, 16, 1)
    for value_range in [(0.0, 1.0), (-1.0, 1.0)]:
        scaled = scale_images(images, value_range)
        assert scaled.min() == value_range[0] and scaled.max() == value_range[1]
        np.testing.assert_array_equal(to_uint8(scaled, value_range), images)


def test_epoch_batches_are_a_stateless_function_of_seed_and_epoch():
    images = np.arange(10, dtype=np.uint8).reshape(10, 1, 1, 1)
    full, steps = epoch_batches(images, None, 3, seed=7, first_epoch=0, last_epoch=3, value_range=(0.0, 255.0))
    assert steps == 3
    batches = [b.numpy().ravel().tolist() for b, _ in full]
    assert len(batches) == 9 and all(len(b) == 3 for b in batches)
    later, _ = epoch_batches(images, None, 3, seed=7, first_epoch=2, last_epoch=3, value_range=(0.0, 255.0))
    assert [b.numpy().ravel().tolist() for b, _ in later] == batches[6:]
    assert batches[0:3] != batches[3:6]  # a new order each epoch
    with pytest.raises(GenlabError, match="batch_size 20 is larger"):
        epoch_batches(images, None, 20, 0, 0, 1, (0.0, 1.0))


def test_a_failed_download_names_its_reason():
    from genlab.data.sources import _not_found

    try:
        try:
            raise OSError("[Errno -3] Temporary failure in name resolution")
        except OSError as inner:
            raise Exception("URL fetch failure on https://storage.googleapis.com/mnist.npz") from inner
    except Exception as error:  # noqa: BLE001
        message = str(_not_found("mnist", "mnist.npz", error))
    assert "Temporary failure in name resolution" in message and "(Exception)" not in message


# --------------------------------------------------------------------------------------
# Issue 21: bad input is refused in one line, naming the value (labels, images, folders)
# --------------------------------------------------------------------------------------


def decompression_bomb_png(path, side=20_000):
    """A 68-byte PNG whose header claims side x side pixels: PIL refuses to decode it (a decompression bomb)."""
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)  # 8-bit grayscale
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 16))
                     + chunk(b"IEND", b""))
    return path


def test_npz_labels_must_match_the_images_one_per_image(tmp_path):
    x = np.zeros((40, 8, 8, 1), np.uint8)
    cases = {
        "short": (dict(x=x, y=np.zeros(30, np.int64)), r"y has 30 labels \(shape \(30,\)\) for 40 images"),
        "negative": (dict(x=x, y=np.r_[np.zeros(39), [-1]].astype(np.int64)), r"y holds label -1: labels are class indices"),
        "fraction": (dict(x=x, y=np.r_[np.zeros(39), [0.5]]), r"y must be whole numbers .* got 0\.5"),
        "named": (dict(x=x, y=np.r_[np.zeros(39), [5]].astype(np.int64), class_names=np.array(["a", "b"])),
                  r"holds label 5, but there are 2 class names \(labels 0\.\.1\)"),
        "not-one-hot": (dict(x=x, y=np.full((40, 3), 0.5)), r"shaped \(40, 3\) but is not one-hot"),
        "test-split": (dict(x_train=x, y_train=np.zeros(40, np.int64), x_test=x[:4], y_test=np.zeros(5, np.int64)),
                       r"y_test has 5 labels .* for 4 images"),
    }
    for name, (arrays, message) in cases.items():
        np.savez(tmp_path / f"{name}.npz", **arrays)
        with pytest.raises(GenlabError, match=message):
            load_image_data(f"npz:{tmp_path / name}.npz")


def test_one_hot_labels_become_class_indices(tmp_path):
    classes = np.arange(40) % 4
    np.savez(tmp_path / "d.npz", x=np.zeros((40, 8, 8, 1), np.float32), y=np.eye(4)[classes])
    data = load_image_data(f"npz:{tmp_path / 'd.npz'}")
    assert data.num_classes == 4 and data.y_train.dtype == np.int64 and data.y_train.shape == (len(data.x_train),)
    np.savez(tmp_path / "p.npz", x=np.zeros((40, 8, 8, 1), np.float32), y=classes)
    np.testing.assert_array_equal(data.y_train, load_image_data(f"npz:{tmp_path / 'p.npz'}").y_train)


def test_an_npz_without_images_says_so(tmp_path):
    np.savez(tmp_path / "zero.npz", x=np.zeros((0, 8, 8, 1), np.float32))
    with pytest.raises(GenlabError, match="no training images"):
        load_image_data(f"npz:{tmp_path / 'zero.npz'}")


def test_decompression_bombs_are_refused_or_skipped_never_decoded(tmp_path):
    for i in range(3):
        Image.fromarray(np.full((8, 8), 10 * i, np.uint8)).save(tmp_path / f"{i}.png")
    decompression_bomb_png(tmp_path / "bomb.png")
    with pytest.raises(GenlabError, match=r"bomb\.png' is too large to decode safely \(Image size \(400000000 pixels\)"
                                          r".*--skip-bad-images") as error:
        load_image_data(f"folder:{tmp_path}")
    assert "\n" not in str(error.value)
    data = load_image_data(f"folder:{tmp_path}", skip_bad_images=True)
    assert len(data.x_train) + len(data.x_test) == 3
    decompression_bomb_png(tmp_path / "bomb.png", side=10_000)  # 1e8 pixels: PIL only warns; refused all the same
    with pytest.raises(GenlabError, match="too large to decode safely"):
        load_image_data(f"folder:{tmp_path}")


def test_sixteen_bit_pngs_are_scaled_to_eight_bits_not_clipped(tmp_path):
    values = [0, 257, 40000, 65535]
    for i, value in enumerate(values):
        Image.fromarray(np.full((8, 8), value, np.uint16)).save(tmp_path / f"{i}.png")
    data = load_image_data(f"folder:{tmp_path}")
    seen = sorted(int(v) for v in np.unique(np.concatenate([data.x_train, data.x_test])))
    assert seen == [0, 1, 156, 255]  # round(v * 255 / 65535); convert("L") would give 0, 255, 255, 255


def test_a_folder_with_class_folders_and_loose_images_is_refused(tmp_path):
    for name in ("cats/1.png", "cats/2.png", "dogs/1.png", "dogs/2.png", "stray.png"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        Image.fromarray(np.zeros((8, 8), np.uint8)).save(tmp_path / name)
    with pytest.raises(GenlabError, match=r"has class sub-folders \(cats, dogs\) and 1 image\(s\) of no class .*stray\.png"):
        load_image_data(f"folder:{tmp_path}")
    (tmp_path / "stray.png").rename(tmp_path / "cats" / "3.png")
    assert load_image_data(f"folder:{tmp_path}").num_classes == 2
