import numpy as np
import pytest

from genlab.data.pairs import ImagePairs, cropped_shape, preview_images, training_batches, validation_batches
from genlab.data.sources import ImageData
from genlab.core.errors import GenlabError

RNG = np.random.default_rng(0)


def _data(name, count, size=6, channels=3):
    images = RNG.integers(0, 256, size=(count, size, size, channels), dtype=np.uint8)
    return ImageData(name, images[:-2], None, images[-2:], None)


def _as_uint8(batch):
    return np.round((np.asarray(batch) + 1.0) * 127.5).astype(np.uint8)


def test_paired_batches_keep_image_i_of_a_with_image_i_of_b_even_when_cropped():
    a = _data("a", 10)
    b = ImageData("b", 255 - a.x_train, None, 255 - a.x_test, None)  # B = the negative of A
    pairs = ImagePairs(a, b, paired=True)
    dataset, steps = training_batches(pairs, 4, seed=3, first_epoch=0, last_epoch=2, value_range=(-1, 1), crop_size=4)
    assert steps == 2
    batches = list(dataset)
    assert len(batches) == 4
    for batch_a, batch_b in batches:
        assert batch_a.shape == (4, 4, 4, 3) and batch_b.shape == (4, 4, 4, 3)
        np.testing.assert_array_equal(_as_uint8(batch_b), 255 - _as_uint8(batch_a))


def test_unpaired_domains_of_different_sizes_are_both_drawn_each_epoch():
    pairs = ImagePairs(_data("a", 8), _data("b", 5, channels=1))  # 6 and 3 training images
    dataset, steps = training_batches(pairs, 2, seed=0, first_epoch=0, last_epoch=1, value_range=(0, 1))
    assert steps == 3
    seen_a = {_as_uint8(x * 2 - 1)[i].tobytes() for x, _ in dataset for i in range(2)}
    assert len(seen_a) == 6  # every A image once
    seen_b = [y.shape for _, y in dataset]
    assert seen_b == [(2, 6, 6, 1)] * 3


def test_batches_from_a_later_epoch_equal_those_of_a_straight_run():
    data = _data("one", 12)
    straight, _ = training_batches(data, 3, 7, 0, 3, (-1, 1), crop_size=4)
    resumed, _ = training_batches(data, 3, 7, 2, 3, (-1, 1), crop_size=4)
    straight_images = [np.asarray(x) for x, _ in straight][-3:]
    resumed_images = [np.asarray(x) for x, _ in resumed]
    for left, right in zip(straight_images, resumed_images):
        np.testing.assert_array_equal(left, right)


def test_validation_and_preview_use_centre_crops_of_the_test_split():
    pairs = ImagePairs(_data("a", 6), _data("b", 7))
    (a, b), labels = preview_images(pairs, 8, (0, 1), crop_size=4)
    assert a.shape == b.shape == (2, 4, 4, 3) and len(labels) == 2
    np.testing.assert_allclose(a, pairs.a.x_test[:, 1:5, 1:5] / 255.0)
    batches = list(validation_batches(pairs, 1, (0, 1), crop_size=4))
    assert len(batches) == 2


def test_shapes_and_mismatches_are_reported():
    assert cropped_shape((10, 12, 3), None) == (10, 12, 3)
    assert cropped_shape((10, 12, 3), 8) == (8, 8, 3)
    with pytest.raises(GenlabError, match="larger than the images"):
        cropped_shape((10, 12, 3), 11)
    with pytest.raises(GenlabError, match="as many images"):
        ImagePairs(_data("a", 6), _data("b", 7), paired=True)
    with pytest.raises(GenlabError, match="one size"):
        ImagePairs(_data("a", 6), _data("b", 6, size=8), paired=True)
