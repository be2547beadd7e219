import math

import numpy as np
import pytest
import tensorflow as tf
from keras import ops

from genlab.core.config import DataConfig, TrainConfig
from genlab.core.errors import GenlabError
from genlab.models.harness import check_family
from genlab.models.vae import VAE, ConditionalVAE, CVAEConfig, VAEConfig
from genlab.models.vae.objective import bernoulli_nll, gaussian_nll, kl_objective, kl_per_dimension, log_normal
import genlab.models.families  # noqa: F401  (every family, models loaded)
from genlab.core.registry import get_family

IMAGES = np.random.default_rng(0).uniform(size=(4, 8, 8, 1)).astype("float32")
LABELS = np.array([0, 1, 2, 1], "int32")
SMALL = {"input_shape": (8, 8, 1), "latent_dim": 3, "filters": (4, 8), "hidden_units": (16,)}


def make(conditional=False, **overrides):
    if conditional:
        return lambda: ConditionalVAE(CVAEConfig(**{**SMALL, "num_classes": 3, **overrides}))
    return lambda: VAE(VAEConfig(**{**SMALL, **overrides}))


def probe(model):
    """Deterministic: posterior-mean reconstructions and decoded fixed latents."""
    labels = LABELS if model.is_conditional else None
    latents = np.linspace(-2, 2, 12, dtype="float32").reshape(4, 3)
    return np.concatenate([model.reconstruct(IMAGES, labels), model.decode_latents(latents, labels)])


@pytest.mark.parametrize(
    "conditional, overrides",
    [
        (False, {"arch": "conv"}),
        (False, {"arch": "dense", "loss": "mse"}),
        (False, {"beta": 4.0, "kl_warmup_steps": 3, "free_bits": 0.1, "binarize": "dynamic"}),
        (True, {"arch": "conv"}),
        (True, {"arch": "dense", "binarize": "threshold"}),
    ],
    ids=["vae-conv-bce", "vae-dense-mse", "beta-vae-warmup-freebits", "cvae-conv", "cvae-dense"],
)
def test_family_harness(conditional, overrides, tmp_path):
    check_family(make(conditional, **overrides), (IMAGES, LABELS), probe, tmp_path)


def test_registered_names():
    assert get_family("vae").model_class is VAE
    assert get_family("beta-vae").model_class is VAE
    assert get_family("cvae").model_class is ConditionalVAE
    assert VAE.is_generator and not VAE.is_conditional and ConditionalVAE.is_conditional


def test_closed_form_kl_matches_monte_carlo():
    rng = np.random.default_rng(1)
    mean = rng.normal(size=(1, 4)).astype("float32")
    log_variance = rng.normal(scale=0.7, size=(1, 4)).astype("float32")
    closed = float(np.sum(kl_per_dimension(mean, log_variance)))
    z = (mean + np.exp(0.5 * log_variance) * rng.standard_normal((200_000, 4))).astype("float32")
    log_q = np.asarray(log_normal(z, np.repeat(mean, len(z), 0), np.repeat(log_variance, len(z), 0)))
    log_p = np.asarray(log_normal(z, np.zeros_like(z), np.zeros_like(z)))
    monte_carlo = float(np.mean(log_q - log_p))  # KL = E_q[log q(z) - log p(z)]
    assert closed > 0.5
    assert monte_carlo == pytest.approx(closed, abs=0.03)
    assert float(np.sum(kl_per_dimension(np.zeros((1, 4)), np.zeros((1, 4))))) == 0.0  # q = p


def test_likelihood_terms_match_their_formulas():
    rng = np.random.default_rng(2)
    x = (rng.uniform(size=(3, 5)) > 0.5).astype("float32")
    logits = rng.normal(scale=3.0, size=(3, 5)).astype("float32")
    p = 1 / (1 + np.exp(-logits.astype(np.float64)))
    expected = -np.sum(x * np.log(p) + (1 - x) * np.log(1 - p), axis=1)
    np.testing.assert_allclose(np.asarray(bernoulli_nll(x, logits)), expected, rtol=1e-5)
    expected_gauss = -np.sum(-0.5 * np.log(2 * np.pi * 0.5) - (x - p) ** 2 / (2 * 0.5), axis=1)  # N(x; p, 1/2)
    np.testing.assert_allclose(np.asarray(gaussian_nll(ops.convert_to_tensor(x), logits)), expected_gauss, rtol=1e-5)


def test_free_bits_clamp_each_dimension_from_below():
    kl = np.array([[0.0, 0.2, 2.0], [0.0, 0.4, 4.0]], "float32")
    assert float(kl_objective(kl, 0.0)) == pytest.approx((2.2 + 4.4) / 2)
    assert float(kl_objective(kl, 0.5)) == pytest.approx(0.5 + 0.5 + 3.0)  # sum_j max(0.5, mean_i KL_ij)
    variable = tf.Variable(kl)
    with tf.GradientTape() as tape:
        total = kl_objective(variable, 0.5)
    gradient = tape.gradient(total, variable).numpy()
    np.testing.assert_allclose(gradient[:, :2], 0.0)  # dimensions under the floor get no push to the prior
    np.testing.assert_allclose(gradient[:, 2], 0.5)


def test_gradients_reach_the_encoder_through_the_sampling_layer():
    model = make()()
    with tf.GradientTape() as tape:
        mean, log_variance = model.encode_tensors(IMAGES)
        z = model.sampling([mean, log_variance])
        reconstruction = ops.mean(model.reconstruction_fn(IMAGES, model.decode_logits(z)))  # no KL term
    variables = model.encoder.trainable_variables
    gradients = tape.gradient(reconstruction, variables)
    assert all(g is not None for g in gradients)
    by_name = {v.path: np.abs(np.asarray(g)).sum() for v, g in zip(variables, gradients)}
    log_variance_kernel = [name for name in by_name if "log_variance" in name and "kernel" in name][0]
    assert by_name[log_variance_kernel] > 0  # sigma only reaches the loss through z = mu + sigma * eps
    assert all(value > 0 for value in by_name.values())


def test_kl_warmup_is_derived_from_the_optimizer_step():
    model = make(beta=2.0, kl_warmup_steps=10)()
    assert float(model.current_beta()) == 2.0  # not compiled: the full beta
    model.compile_for_training(TrainConfig())
    model.build_optimizers()
    for step, expected in ((0, 0.0), (5, 1.0), (10, 2.0), (25, 2.0)):
        model.optimizer.iterations.assign(step)
        assert float(model.current_beta()) == pytest.approx(expected)
    model.optimizer.iterations.assign(5)
    state = model.training_state()
    fresh = make(beta=2.0, kl_warmup_steps=10)()
    fresh.compile_for_training(TrainConfig())
    fresh.build_optimizers()
    fresh.restore_training_state(state)
    assert float(fresh.current_beta()) == pytest.approx(1.0)  # a resumed run continues the schedule


def test_loss_is_reconstruction_plus_beta_kl():
    model = make(beta=3.0)()
    model.compile_for_training(TrainConfig())
    logs = model.evaluate(tf.data.Dataset.from_tensors((IMAGES, LABELS)), verbose=0, return_dict=True)
    assert set(logs) == {"loss", "reconstruction", "kl"}  # each term tracked separately
    assert logs["loss"] == pytest.approx(logs["reconstruction"] + 3.0 * logs["kl"], rel=1e-5)
    assert logs["reconstruction"] > 10  # summed over 64 pixels, in nats


def test_importance_weighted_nll_is_between_the_true_nll_and_the_negative_elbo():
    """1-D latent: log p(x) by quadrature over z is the truth the two bounds must bracket."""
    model = VAE(VAEConfig(input_shape=(4, 4, 1), latent_dim=1, arch="dense", hidden_units=(8,)))
    # q(z|x) = N(0.3, 1.5) for every x: wider than the posterior, so the importance weights stay bounded
    for head, bias in (("mean", 0.3), ("log_variance", math.log(1.5))):
        layer = model.encoder.get_layer(head)
        layer.kernel.assign(np.zeros(layer.kernel.shape))
        layer.bias.assign(np.full(layer.bias.shape, bias))
    images = (np.random.default_rng(3).uniform(size=(6, 4, 4, 1)) > 0.5).astype("float32")
    grid = np.linspace(-9, 9, 6001, dtype="float32")[:, None]
    logits = np.asarray(model.decoder(grid))
    log_prior = -0.5 * (np.log(2 * np.pi) + grid[:, 0].astype(np.float64) ** 2)
    true_nll = []
    for x in images:
        log_px_z = -np.asarray(bernoulli_nll(np.repeat(x[None], len(grid), 0), logits), np.float64)
        terms = log_px_z + log_prior
        peak = terms.max()
        true_nll.append(-(peak + np.log(np.sum(np.exp(terms - peak)) * (grid[1, 0] - grid[0, 0]))))
    true_nll = np.array(true_nll)
    bound = model.importance_weighted_bound(images, samples=2000, seed=0)
    assert np.all(bound["nll"] <= bound["negative_elbo"] + 1e-3)
    assert np.all(bound["nll"] >= true_nll - 0.02)  # an upper bound on the NLL (up to noise)
    np.testing.assert_allclose(bound["nll"], true_nll, atol=0.05)
    assert np.all(bound["negative_elbo"] > true_nll)


def test_importance_weighted_bound_tightens_with_k_after_training():
    model = make(arch="dense", latent_dim=2)()
    model.compile_for_training(TrainConfig(learning_rate=1e-2))
    binary = (IMAGES > 0.5).astype("float32")
    model.fit(tf.data.Dataset.from_tensors((binary, LABELS)).repeat(30), epochs=1, verbose=0)
    one = model.importance_weighted_bound(binary, samples=1, seed=0)
    many = model.importance_weighted_bound(binary, samples=200, seed=0)
    assert many["nll"].mean() < many["negative_elbo"].mean()
    assert many["nll"].mean() < one["nll"].mean()


def test_verbs_shapes_and_range():
    model = make()()
    mean, log_variance = model.encode(IMAGES)
    assert mean.shape == log_variance.shape == (4, 3)
    np.testing.assert_array_equal(model.encode_latents(IMAGES), mean)
    samples = model.generate(5, seed=1)
    assert samples.shape == (5, 8, 8, 1) and 0.0 <= samples.min() and samples.max() <= 1.0
    np.testing.assert_array_equal(model.generate(5, seed=1), samples)
    rows = model.preview(IMAGES, LABELS)
    assert [r.shape for r in rows] == [IMAGES.shape] * 3
    with pytest.raises(GenlabError, match="latents must be shaped"):
        model.decode_latents(np.zeros((2, 5)))
    with pytest.raises(GenlabError, match="not conditional"):
        model.decode_latents(np.zeros((2, 3)), labels=[0, 1])


def test_conditional_vae_generates_by_class_and_rejects_bad_labels():
    model = make(conditional=True)()
    assert model.generate(4, labels=2).shape == (4, 8, 8, 1)
    same_latents = np.zeros((3, 3), "float32")
    by_class = model.decode_latents(same_latents, labels=[0, 1, 2])
    assert not np.allclose(by_class[0], by_class[1])  # the label changes the image
    for bad in (3, -1):
        with pytest.raises(GenlabError, match="out of range"):
            model.generate(2, labels=bad)
    with pytest.raises(GenlabError, match="out of range"):
        model.encode(IMAGES, labels=[0, 1, 2, 7])
    with pytest.raises(GenlabError, match="give a class label"):
        model.decode_latents(same_latents)
    with pytest.raises(GenlabError, match="shaped"):
        model.reconstruct(IMAGES, labels=[0, 1])


def test_conditional_vae_needs_labelled_data(tmp_path):
    from genlab.workflows.train import train

    with pytest.raises(GenlabError, match="labelled data"):
        CVAEConfig(**SMALL, num_classes=0)
    unlabelled = tmp_path / "unlabelled.npz"
    np.savez(unlabelled, x=np.random.default_rng(0).integers(0, 255, (20, 8, 8, 1), dtype=np.uint8))
    out = tmp_path / "run"
    with pytest.raises(GenlabError, match="labelled data"):
        train("cvae", out, model={"filters": [4, 8]}, data=DataConfig(source=f"npz:{unlabelled}"),
              train=TrainConfig(epochs=1, batch_size=4), verbose=0)
    assert not out.exists()  # refused before anything was written


@pytest.mark.parametrize(
    "values, message",
    [
        ({"arch": "rnn"}, "arch"),
        ({"loss": "l1"}, "loss"),
        ({"beta": -1.0}, "beta"),
        ({"kl_warmup_steps": -5}, "kl_warmup_steps"),
        ({"free_bits": -0.1}, "free_bits"),
        ({"binarize": "always"}, "binarize"),
        ({"iw_samples": 0}, "iw_samples"),
        ({"value_range": (-1.0, 1.0)}, "value_range"),
        ({"input_shape": (10, 10, 1), "filters": (4, 8)}, "divisible by 4"),
    ],
)
def test_bad_config_names_the_value(values, message):
    with pytest.raises(GenlabError, match=message):
        VAEConfig(**{**SMALL, **values})


def test_evaluation_table_reports_elbo_terms_and_nll():
    from genlab.data.sources import ImageData

    rng = np.random.default_rng(4)
    data = ImageData("tiny", rng.integers(0, 256, (8, 8, 8, 1), dtype=np.uint8), np.arange(8) % 3,
                     rng.integers(0, 256, (6, 8, 8, 1), dtype=np.uint8), np.arange(6) % 3)
    for model in (make(iw_samples=16)(), make(conditional=True, iw_samples=16)()):
        table = model.evaluation_table(data, limit=5)
        nats = next(row for name, row in table.items() if "nats" in name)
        assert nats["neg_elbo"] == pytest.approx(nats["reconstruct"] + nats["kl"])
        assert nats["nll_iw"] <= nats["neg_elbo"]
        assert math.isfinite(nats["nll_iw"]) and nats["nll_iw"] > 0
        assert model.evaluation_protocol()["importance_samples"] == 16
        assert "stochastically binarized" in model.evaluation_protocol()["likelihood"]
