import keras
import numpy as np
import pytest
import tensorflow as tf

from genlab.core.config import TrainConfig
from genlab.core.errors import GenlabError
from genlab.layers.style import ModulatedConv2D
from genlab.models.harness import check_family
from genlab.models.stylegan import StyleGAN, StyleGANConfig, mix_styles

RNG = np.random.default_rng(0)
IMAGES = RNG.uniform(-1, 1, size=(4, 8, 8, 1)).astype("float32")
BATCH = (IMAGES, np.zeros(4, "int32"))
LATENTS = RNG.standard_normal((3, 4)).astype("float32")
TINY = {"input_shape": (8, 8, 1), "latent_dim": 4, "w_dim": 8, "mapping_layers": 2, "channel_base": 32,
        "channel_max": 8}


def make(**overrides):
    return lambda: StyleGAN(StyleGANConfig(**{**TINY, **overrides}))


def generated(model):
    return model.decode_latents(LATENTS)


def one_step(model, images, steps=1, learning_rate=1e-2):
    """Training steps run eagerly: tracing the step as a graph costs ~10 s, one eager step < 1 s."""
    model.compile_for_training(TrainConfig(learning_rate=learning_rate))
    model.build_optimizers()
    for _ in range(steps):
        logs = model.train_step((tf.constant(images), tf.zeros(len(images), "int32")))
    return {name: float(value) for name, value in logs.items()}


def test_family_harness(tmp_path):
    check_family(make(style_mixing=0.5), BATCH, generated, tmp_path)


def test_lazy_r1_and_augmentation_step():
    model = make(r1_interval=2, augment="color,translation,cutout")()
    logs = one_step(model, IMAGES, steps=3)
    assert all(np.isfinite(v) for v in logs.values()), logs
    assert logs["r1"] > 0
    assert float(model.trackers["r1"].count) == 2  # the penalty ran at discriminator steps 0 and 2 only


def test_mapping_and_synthesis_shapes_and_data_resolution():
    model = make(input_shape=(12, 12, 3))()  # 12x12 data -> 16x16 networks -> 12x12 images out
    assert model.resolution == 16 and model.num_layers == 6  # L = 2 log2(16) - 2
    w = model.mapping(LATENTS)
    assert w.shape == (3, 8)
    assert model.synthesis(np.zeros((3, 6, 8), "float32")).shape == (3, 16, 16, 3)
    assert model.discriminator(np.zeros((3, 16, 16, 3), "float32")).shape == (3, 1)
    images = model.decode_latents(LATENTS)
    assert images.shape == (3, 12, 12, 3) and images.min() >= -1 and images.max() <= 1
    assert StyleGAN(StyleGANConfig(input_shape=(28, 28, 1))).resolution == 32


def test_truncation_zero_gives_one_image_for_every_latent():
    model = make()()
    one_step(model, IMAGES)  # w_avg moves away from its zero start
    truncated = model.decode_latents(LATENTS, truncation=0.0)
    np.testing.assert_allclose(truncated, np.repeat(truncated[:1], 3, axis=0), atol=1e-6)
    free = model.decode_latents(LATENTS, truncation=1.0)
    assert np.abs(free - free[:1]).max() > 1e-3  # without truncation the latents differ
    np.testing.assert_allclose(model.map_latents(LATENTS, 0.0), np.repeat(model.w_average[None], 3, 0), atol=1e-6)


def expected_style_index(layer_name: str) -> int:
    """The paper's indexing: g0 conv w_0, toRGB w_1; block b convs w_{2b-1}, w_{2b}, toRGB w_{2b+1}."""
    block, part = layer_name.split("_")
    b = int(block[1:])
    return {"conv": 0, "torgb": 2 * b + 1, "conv0": 2 * b - 1, "conv1": 2 * b}[part]


def test_style_mixing_feeds_w1_below_the_crossover_and_w2_above():
    model = make(input_shape=(16, 16, 1))()
    convs = [layer for layer in model.synthesis.layers if isinstance(layer, ModulatedConv2D)]
    assert len(convs) == 8  # 1 conv + toRGB at 4x4, 2 convs + toRGB at 8x8 and 16x16
    fed_styles = keras.Model(model.synthesis.input, [layer.input[1] for layer in convs])
    w1, w2 = RNG.standard_normal((2, 8)).astype("float32"), RNG.standard_normal((2, 8)).astype("float32")
    for crossover in (2, 4):
        styles = fed_styles(mix_styles(w1, w2, crossover, model.num_layers))
        for layer, style in zip(convs, styles):
            expected = w1 if expected_style_index(layer.name) < crossover else w2
            np.testing.assert_array_equal(np.asarray(style), expected, err_msg=f"{layer.name}, crossover {crossover}")


def test_training_style_mixing_switches_once_per_image():
    model = make(input_shape=(16, 16, 1), style_mixing=1.0)()
    styles = np.asarray(model._random_styles(64, training=True))
    crossovers = []
    for image in styles:
        changes = [i for i in range(1, len(image)) if not np.array_equal(image[i], image[i - 1])]
        assert len(changes) == 1  # w1 up to the crossover, then w2
        crossovers.append(changes[0])
    assert set(crossovers) == set(range(1, model.num_layers))  # every crossover in [1, L) occurs


def test_style_mix_grid_rows_take_coarse_styles():
    model = make()()
    rows, columns = LATENTS[:2], LATENTS[1:]
    grid = model.style_mix(rows, columns, crossover=0)
    assert grid.shape == (2, 2, 8, 8, 1)
    np.testing.assert_allclose(grid[0], model.decode_latents(columns), atol=1e-5)  # crossover 0: all from columns
    everything_from_rows = model.style_mix(rows, columns, crossover=model.num_layers)
    np.testing.assert_allclose(everything_from_rows[:, 0], model.decode_latents(rows), atol=1e-5)
    with pytest.raises(GenlabError, match="crossover"):
        model.style_mix(rows, columns, crossover=9)


def test_ema_follows_the_generator_and_skips_the_discriminator():
    model = make()()
    before = [np.array(v) for _, v in model.ema_pairs()]
    one_step(model, IMAGES)
    pairs = model.ema_pairs()
    assert any(not np.array_equal(b, np.array(v)) for b, (_, v) in zip(before, pairs))
    for variable, ema in pairs:  # after one step beta_1 = 2/11: the EMA lies between old and new
        if variable.trainable and not np.array_equal(np.array(variable), np.array(ema)):
            break
    else:
        pytest.fail("EMA copy equals the trained weights exactly")
    assert not any(id(v) in {id(e) for _, e in pairs} for v in model.discriminator.weights)


def test_freezing_keeps_frozen_weights_bit_identical():
    from genlab.transfer import freeze

    model = make(input_shape=(16, 16, 1))()
    frozen_names = freeze(model, "mapping,g:2,d:2")
    assert {name.split("/")[0] for name in frozen_names} == {"mapping", "generator", "discriminator"}
    frozen = [layer for network in (model.mapping, model.synthesis, model.discriminator)
              for layer in network.layers if layer.weights and not layer.trainable]
    free = [layer for network in (model.synthesis, model.discriminator) for layer in network.layers
            if layer.trainable and layer.trainable_weights]
    assert {layer.name.split("_")[0] for layer in frozen} == {"mapping", "w", "g0", "g1", "d0", "d1"}
    assert {layer.name.split("_")[0] for layer in free} == {"g2", "d"}  # 16x16 block, D's 4x4 epilogue
    before_frozen = [np.array(w) for layer in frozen for w in layer.weights if "average" not in w.path]
    before_free = [np.array(w) for layer in free for w in layer.trainable_weights]
    images = RNG.uniform(-1, 1, (4, 16, 16, 1)).astype("float32")
    one_step(model, images)
    after_frozen = [np.array(w) for layer in frozen for w in layer.weights if "average" not in w.path]
    for before, after in zip(before_frozen, after_frozen):
        np.testing.assert_array_equal(before, after)
    after_free = [np.array(w) for layer in free for w in layer.trainable_weights]
    assert all(not np.array_equal(before, after) for before, after in zip(before_free, after_free))
    for variable, ema in model.ema_pairs():  # the EMA generator uses the frozen weights as they are
        if not variable.trainable:
            np.testing.assert_array_equal(np.array(variable), np.array(ema))


def test_transfer_groups_follow_resolutions():
    model = make(input_shape=(32, 32, 1))()
    groups = model.transfer_blocks()
    assert [len(blocks) for blocks in groups.values()] == [2, 4, 4]  # mapping layers; 4..32; 32->16..8->4, 4x4
    assert {layer.name for layer in groups["generator"][0]} == {"g0_const", "g0_conv", "g0_noise", "g0_torgb"}
    assert groups["discriminator"][0][0].name == "d0_fromrgb"


@pytest.mark.parametrize(
    "values, message",
    [({"resolution": 24}, "power of two"), ({"augment": "flip"}, "flip"), ({"style_mixing": 1.5}, "style_mixing"),
     ({"ema_decay": 1.0}, "ema_decay"), ({"input_shape": (8, 8)}, "H, W, C"), ({"r1_gamma": -1.0}, "r1_gamma")],
)
def test_bad_config_names_the_value(values, message):
    with pytest.raises(GenlabError, match=message):
        StyleGANConfig(**{**TINY, **values})


def test_bad_latents_and_truncation_are_genlab_errors():
    model = make()()
    with pytest.raises(GenlabError, match="truncation"):
        model.decode_latents(LATENTS, truncation=1.5)
    with pytest.raises(GenlabError, match=r"\(N, 4\)"):
        model.decode_latents(np.zeros((2, 5), "float32"))
    with pytest.raises(GenlabError, match="W must be shaped"):
        model.synthesize(np.zeros((2, 3, 8), "float32"))
