import numpy as np
import pytest
from skimage.color import rgb2ycbcr
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from genlab.core.errors import GenlabError
from genlab.metrics.image_quality import image_quality, psnr, rgb_to_luma, ssim

RNG = np.random.default_rng(0)


def noisy_pair(shape, noise=0.1):
    clean = RNG.uniform(size=shape)
    return clean, np.clip(clean + RNG.normal(scale=noise, size=shape), 0, 1)


def skimage_ssim(a, b, data_range, channel_axis=None):
    return structural_similarity(a, b, data_range=data_range, gaussian_weights=True, sigma=1.5,
                                 use_sample_covariance=False, channel_axis=channel_axis)


def test_psnr_equals_scikit_image():
    a, b = noisy_pair((24, 20, 3))
    assert psnr(a, b) == pytest.approx(peak_signal_noise_ratio(a, b, data_range=1.0), rel=1e-12)
    assert psnr(a * 255, b * 255, data_range=255) == pytest.approx(psnr(a, b), rel=1e-12)
    assert psnr(a, a) == float("inf")


@pytest.mark.parametrize("shape", [(20, 17), (23, 31, 3)])
def test_ssim_equals_scikit_image(shape):
    a, b = noisy_pair(shape, noise=0.2)
    channel_axis = -1 if len(shape) == 3 else None
    assert ssim(a, b) == pytest.approx(skimage_ssim(a, b, 1.0, channel_axis), rel=1e-9)
    assert ssim(a, a) == pytest.approx(1.0)


def test_luma_equals_scikit_image_ycbcr():
    images = RNG.uniform(size=(2, 6, 5, 3))
    expected = np.stack([rgb2ycbcr(im)[..., 0] for im in images])
    np.testing.assert_allclose(rgb_to_luma(images), expected, rtol=1e-12)
    np.testing.assert_allclose(rgb_to_luma(images * 2 - 1, value_range=(-1, 1)), expected, rtol=1e-12)


def test_super_resolution_protocol_equals_scikit_image_on_luma_with_border_crop():
    reference, output = noisy_pair((2, 30, 28, 3), noise=0.05)
    figures = image_quality(reference, output, protocol="y", border=4)
    y_ref = [rgb2ycbcr(im)[4:-4, 4:-4, 0] for im in reference]
    y_out = [rgb2ycbcr(im)[4:-4, 4:-4, 0] for im in output]
    expected_psnr = np.mean([peak_signal_noise_ratio(r, o, data_range=255) for r, o in zip(y_ref, y_out)])
    expected_ssim = np.mean([skimage_ssim(r, o, 255) for r, o in zip(y_ref, y_out)])
    assert figures["psnr"] == pytest.approx(expected_psnr, rel=1e-10)
    assert figures["ssim"] == pytest.approx(expected_ssim, rel=1e-9)


def test_rgb_protocol_in_minus_one_one():
    reference, output = noisy_pair((2, 16, 16, 3))
    unit = image_quality(reference, output)
    signed = image_quality(reference * 2 - 1, output * 2 - 1, value_range=(-1.0, 1.0))
    assert signed["psnr"] == pytest.approx(unit["psnr"]) and signed["ssim"] == pytest.approx(unit["ssim"])
    assert unit["ssim"] == pytest.approx(np.mean([skimage_ssim(r, o, 1.0, -1) for r, o in zip(reference, output)]))


def test_quality_drops_with_more_noise():
    clean = RNG.uniform(size=(1, 32, 32, 1))
    figures = [image_quality(clean, np.clip(clean + RNG.normal(scale=s, size=clean.shape), 0, 1)) for s in (0.02, 0.1, 0.3)]
    assert figures[0]["psnr"] > figures[1]["psnr"] > figures[2]["psnr"]
    assert figures[0]["ssim"] > figures[1]["ssim"] > figures[2]["ssim"]


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: psnr(np.zeros((4, 4)), np.zeros((4, 5))), "different shapes"),
        (lambda: ssim(np.zeros((8, 8)), np.zeros((8, 8))), "at least 11x11"),
        (lambda: image_quality(np.zeros((1, 16, 16, 3)), np.zeros((1, 16, 16, 3)), protocol="lab"), "protocol"),
        (lambda: image_quality(np.zeros((1, 16, 16, 3)), np.zeros((1, 16, 16, 3)), border=8), "border"),
    ],
)
def test_bad_input_raises_genlab_error(call, message):
    with pytest.raises(GenlabError, match=message):
        call()
