import keras
import numpy as np
import pytest
import tensorflow as tf

from genlab.core.config import TrainConfig
from genlab.data.sources import ImageData
from genlab.core.errors import GenlabError
from genlab.models.harness import check_family
from genlab.models.srgan import SRGAN, SRGANConfig, tiled_upscale
from genlab.models.srgan.model import AdversarialPhase

RNG = np.random.default_rng(0)
HIGH = RNG.uniform(-1, 1, size=(2, 16, 16, 3)).astype("float32")
LOW = RNG.uniform(-1, 1, size=(1, 5, 7, 3)).astype("float32")
TINY = {"input_shape": (16, 16, 3), "scale": 4, "filters": 4, "residual_blocks": 1, "discriminator_filters": 2,
        "content_network": "pixel"}


def make(**overrides):
    return lambda: SRGAN(SRGANConfig(**{**TINY, **overrides}))


def upscale(model):
    return model.upscale(LOW)


def test_family_harness(tmp_path):
    check_family(make(), (HIGH, np.zeros(2, "int32")), upscale, tmp_path)


def test_generator_upscales_any_size_by_the_scale():
    model = make(scale=2, batch_norm=False)()
    assert model.upscale(LOW).shape == (1, 10, 14, 3)
    assert model.downscale(HIGH).shape == (2, 8, 8, 3)
    with pytest.raises(GenlabError, match="3 channel"):
        model.upscale(LOW[..., :1])


def test_pretraining_leaves_the_discriminator_alone_and_adversarial_training_updates_it():
    model = make()()
    model.compile_for_training(TrainConfig(learning_rate=1e-2))
    model.build_optimizers()
    batch = tf.data.Dataset.from_tensors((HIGH, np.zeros(2, "int32")))
    for phase in (0, 1):  # one traced step holds both branches
        model.adversarial_phase.assign(phase)
        before = [np.array(w) for w in model.discriminator.trainable_weights]
        history = model.fit(batch, epochs=1, verbose=0).history
        changed = any(not np.array_equal(b, np.array(w)) for b, w in zip(before, model.discriminator.trainable_weights))
        assert changed == bool(phase)
        assert (history["discriminator_loss"][0] > 0) == bool(phase)
        assert all(np.isfinite(v[0]) for v in history.values())
    assert int(model.generator_optimizer.iterations.numpy()) == 2
    assert int(model.discriminator_optimizer.iterations.numpy()) == 1


def test_phase_callback_and_training_state():
    model = make(pretrain_epochs=2)()
    (callback,) = model.training_callbacks(TrainConfig())
    assert isinstance(callback, AdversarialPhase)
    callback.set_model(model)
    callback.on_epoch_begin(1)
    assert int(model.adversarial_phase.numpy()) == 0
    callback.on_epoch_begin(2)
    assert int(model.adversarial_phase.numpy()) == 1
    assert any(v is model.adversarial_phase for v in model._model_state_variables())


def test_pixel_content_loss_is_the_mse():
    model = make()()
    fake = np.zeros_like(HIGH)
    assert float(model._content_loss(HIGH, fake)) == pytest.approx(float(np.mean(HIGH**2)), rel=1e-5)


def test_tiled_upscaling_equals_whole_image_away_from_borders():
    model = make(scale=2, residual_blocks=2, batch_norm=False)()  # receptive radius about 12 input pixels
    image = RNG.uniform(-1, 1, size=(37, 45, 3)).astype("float32")
    whole = model.upscale(image[None])[0]
    inner = (slice(8, -8), slice(8, -8))
    exact = model.upscale(image[None], tile=32, overlap=28)[0]  # default margin 7: almost exact
    assert exact.shape == whole.shape == (74, 90, 3)
    assert np.abs(exact[inner] - whole[inner]).mean() < 1e-3
    generator = lambda x: np.asarray(model.generator(x))  # noqa: E731
    beyond = tiled_upscale(generator, image, 2, tile=32, overlap=28, margin=14)  # margin > receptive radius
    np.testing.assert_allclose(beyond[inner], whole[inner], atol=1e-4)
    blended = tiled_upscale(generator, image, 2, tile=20, overlap=12)
    naive = tiled_upscale(generator, image, 2, tile=20, overlap=0)  # plain tiles: visible seams
    assert np.abs(blended[inner] - whole[inner]).max() < 0.5 * np.abs(naive[inner] - whole[inner]).max()


def test_tiling_an_identity_upscaler_reproduces_the_image():
    image = RNG.uniform(size=(23, 31, 1)).astype("float32")
    nearest = lambda x: x.repeat(3, axis=1).repeat(3, axis=2)  # noqa: E731
    result = tiled_upscale(nearest, image, 3, tile=8, overlap=4)
    np.testing.assert_allclose(result, nearest(image[None])[0], atol=1e-6)
    with pytest.raises(GenlabError, match="overlap"):
        tiled_upscale(nearest, image, 3, tile=8, overlap=8)


def test_evaluation_table_compares_with_bicubic():
    images = RNG.integers(0, 256, (4, 18, 18, 3), dtype=np.uint8)
    data = ImageData("tiny", images[:2], None, images[2:], None)
    table = make(scale=2)().evaluation_table(data)
    assert set(table) == {"bicubic x2", "srgan x2"}
    assert all(np.isfinite(row["psnr"]) and -1 <= row["ssim"] <= 1 for row in table.values())


def test_pretrained_content_network_is_not_saved_with_the_model(tmp_path, mobilenet_weights):
    model = make(input_shape=(32, 32, 3), content_network="mobilenet")()
    count = len(model.variables)
    model.compile_for_training(TrainConfig())
    assert model.content.network is not None and len(model.variables) == count
    high = RNG.uniform(-1, 1, size=(2, 32, 32, 3)).astype("float32")
    assert float(model._content_loss(high, high)) == 0.0
    assert float(model._content_loss(high, -high)) > 0.0
    model.save(tmp_path / "sr.keras")
    keras.saving.load_model(tmp_path / "sr.keras", safe_mode=True)


@pytest.mark.parametrize("values, message", [
    ({"scale": 3}, "scale"),
    ({"input_shape": (18, 18, 3)}, "divisible by 4"),
    ({"content_network": "mobilenet"}, "32x32"),
    ({"value_range": (0.0, 1.0)}, "value_range"),
])
def test_bad_config_names_the_value(values, message):
    with pytest.raises(GenlabError, match=message):
        SRGANConfig(**{**TINY, **values})


def test_transfer_blocks_are_whole_residual_blocks():
    from genlab.transfer.freezing import select_layers

    model = make(residual_blocks=2)()
    blocks = model.transfer_blocks()["generator"]
    names = [[layer.name for layer in block] for block in blocks]
    assert len(blocks) == 1 + 2 + 1 + 2 + 1  # stem, residual blocks, trunk, two x2 upsamplings, output
    assert names[1] == ["residual_0_conv_1", "residual_0_norm_1", "residual_0_prelu", "residual_0_conv_2",
                        "residual_0_norm_2"]
    frozen = {name for name, _ in select_layers(model, model.transfer_feature_extraction)}
    assert "generator/trunk_conv" in frozen and not any("upsample" in name or "output" in name for name in frozen)


def test_bicubic_skip_starts_from_bicubic_upscaling():
    model = make(bicubic_skip=True)()
    np.testing.assert_allclose(np.clip(model.upscale(LOW), -1, 1), model.bicubic(LOW), atol=1e-5)
    assert model.generator.get_layer("bicubic_skip") is not None
