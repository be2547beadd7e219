"""Wasserstein GANs: WGAN with weight clipping and WGAN-GP with a gradient penalty.

* WGAN: Arjovsky, Chintala & Bottou (2017), "Wasserstein GAN". The critic f (no sigmoid)
  maximizes E_x[f(x)] - E_z[f(G(z))], an estimate of the Wasserstein-1 distance when f is
  1-Lipschitz; the Lipschitz constraint is enforced by clipping every critic weight to
  [-c, c] after each update. RMSProp (lr 5e-5), n_critic = 5 critic updates per generator
  update. Deviation: the paper's 100 critic updates for the first 25 generator updates (and
  every 500th) are not done.
* WGAN-GP: Gulrajani et al. (2017), "Improved Training of Wasserstein GANs". Clipping is
  replaced by the penalty lambda E[(||grad f(x^)||_2 - 1)^2] on x^ = alpha x + (1 - alpha)
  G(z), alpha ~ U(0, 1); no BatchNorm in the critic; Adam(1e-4, beta_1 = 0, beta_2 = 0.9).

Each ``train_step`` is one critic update on one real batch, as in both papers' Algorithm 1
(every critic iteration samples a new real minibatch); every ``critic_steps``-th step is
followed by one generator update on new noise. ``wasserstein`` logs E[f(x)] - E[f(G(z))].
"""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import ops

from genlab.core.distribute import replica_random_uniform, replicas_in_sync
from genlab.core.errors import GenlabError
from genlab.models.adversarial.base import AdversarialModel
from genlab.models.adversarial.losses import critic_loss, gradient_penalty, wasserstein_estimate, wasserstein_generator_loss
from genlab.models.wgan.config import WGANConfig, WGANGPConfig  # noqa: F401  (declares the families)
from genlab.models.wgan.networks import build_critic, build_generator
from genlab.core.registry import register_model


@keras.saving.register_keras_serializable(package="genlab")
@register_model("wgan")
class WGAN(AdversarialModel):
    """Generator and critic minimizing the Wasserstein-1 distance; weight clipping."""

    divergence_hint = (
        "the critic's scores grew without bound: lower --discriminator-learning-rate / --generator-learning-rate "
        "or --clip, or use the wgan-gp family (gradient penalty instead of clipping)"
    )
    metric_names = ("d_loss", "g_loss", "wasserstein", "d_real", "d_fake", "d_grad_norm", "g_grad_norm")

    def build_generator(self, name):
        return build_generator(self.config, name)

    def build_discriminator(self):
        return build_critic(self.config)

    def compile_for_training(self, train) -> None:
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        steps = self.config.critic_steps
        if replicas > 1 and steps > 1 and train.batch_size // replicas < steps:
            raise GenlabError(
                f"with {replicas} replicas each step splits a replica's {train.batch_size // replicas} images between "
                f"the {steps} critic updates: raise --batch-size to at least {replicas * steps} (or lower --critic-steps)"
            )
        super().compile_for_training(train)

    def make_optimizer(self, learning_rate, name):
        """Arjovsky et al.: RMSProp (momentum-based optimizers made the critic unstable)."""
        return keras.optimizers.RMSprop(learning_rate=learning_rate, name=name)

    # what the two Wasserstein variants do differently ------------------------------------
    def critic_penalty(self, real, fake):
        """An extra term of the critic's loss and its logs; none for weight clipping."""
        return 0.0, {}

    def after_critic_update(self) -> None:
        """Weight clipping: w <- clip(w, -c, c) for every critic weight."""
        c = self.config.clip
        for weight in self.discriminator.trainable_variables:
            weight.assign(ops.clip(weight, -c, c))

    # training ------------------------------------------------------------------------------
    def train_step(self, data):
        real, labels = data
        steps = self.config.critic_steps
        if steps > 1 and replicas_in_sync() > 1:
            # tf.distribute cannot apply an optimizer inside tf.cond (a merge_call), so with several
            # replicas one step runs all n_critic critic updates, each on its own slice of the
            # batch, then the generator update: Algorithm 1 with m = batch / n_critic per update
            size = ops.shape(real)[0] // steps
            for i in range(steps):
                self.critic_step(real[i * size : (i + 1) * size])
            self.generator_step(size)
            return self.record()
        self.critic_step(real)
        # 2. generator: descend -E[f(G(z))], once every critic_steps critic updates
        if steps == 1:
            self.generator_step(ops.shape(real)[0])
        else:
            due = ops.equal(self.discriminator_optimizer.iterations % steps, 0)
            tf.cond(due, lambda: self.generator_step(ops.shape(real)[0]), lambda: ops.zeros(()))
        return self.record()

    def critic_step(self, real):
        """1. critic: ascend E[f(x)] - E[f(G(z))] on a new real batch (G fixed)."""
        fake = self.generator(self.noise(ops.shape(real)[0]), training=True)  # G(z), z ~ N(0, I)
        with tf.GradientTape() as tape:
            real_scores = self.discriminator(real, training=True)  # f(x)
            fake_scores = self.discriminator(fake, training=True)  # f(G(z))
            penalty, penalty_logs = self.critic_penalty(real, fake)  # WGAN-GP: lambda E[(||grad f(x^)|| - 1)^2]
            d_loss = critic_loss(real_scores, fake_scores) + penalty  # E[f(G(z))] - E[f(x)] (+ penalty)
        d_norm = self.apply_gradients(self.discriminator_optimizer, tape, d_loss, self.discriminator.trainable_variables)
        self.after_critic_update()  # WGAN: keep f in a compact weight space, so it stays K-Lipschitz
        self.record(d_loss=d_loss, wasserstein=wasserstein_estimate(real_scores, fake_scores),
                    d_real=ops.mean(real_scores), d_fake=ops.mean(fake_scores), d_grad_norm=d_norm, **penalty_logs)

    def generator_step(self, batch_size):
        with tf.GradientTape() as tape:
            fake = self.generator(self.noise(batch_size), training=True)  # G(z) on new noise
            g_loss = wasserstein_generator_loss(self.discriminator(fake, training=True))  # -E[f(G(z))]
        g_norm = self.apply_gradients(self.generator_optimizer, tape, g_loss, self.generator.trainable_variables)
        self.update_generator_average()
        self.record(g_loss=g_loss, g_grad_norm=g_norm)
        return g_loss

    def test_step(self, data):
        """Critic loss (without penalty), generator loss and the Wasserstein estimate on held-out images."""
        real, labels = data
        fake = self.generator(self.noise(ops.shape(real)[0]), training=False)
        real_scores = self.discriminator(real, training=False)
        fake_scores = self.discriminator(fake, training=False)
        values = {
            "d_loss": critic_loss(real_scores, fake_scores),
            "g_loss": wasserstein_generator_loss(fake_scores),
            "wasserstein": wasserstein_estimate(real_scores, fake_scores),
            "d_real": ops.mean(real_scores),
            "d_fake": ops.mean(fake_scores),
        }
        logs = self.record(**values)
        return {name: logs[name] for name in values}


@keras.saving.register_keras_serializable(package="genlab")
@register_model("wgan-gp")
class WGANGP(WGAN):
    """Generator and critic with the gradient penalty instead of weight clipping."""

    divergence_hint = (
        "the critic's scores or the penalty grew without bound: lower --discriminator-learning-rate / "
        "--generator-learning-rate, keep --gp-weight near the paper's 10, and avoid BatchNorm in the critic"
    )
    metric_names = WGAN.metric_names + ("gradient_penalty", "gp_grad_norm")

    def make_optimizer(self, learning_rate, name):
        """Gulrajani et al.: Adam with beta_1 = 0, beta_2 = 0.9."""
        return keras.optimizers.Adam(learning_rate=learning_rate, beta_1=0.0, beta_2=0.9, name=name)

    def critic_penalty(self, real, fake):
        shape = (ops.shape(real)[0],) + (1,) * (len(real.shape) - 1)
        alpha = replica_random_uniform(shape, self.seed_generator)  # alpha ~ U(0, 1), one per example
        critic = lambda images: self.discriminator(images, training=True)  # noqa: E731
        penalty, norm = gradient_penalty(critic, real, fake, alpha)  # E[(||grad_x^ f(x^)||_2 - 1)^2]
        return self.config.gp_weight * penalty, {"gradient_penalty": penalty, "gp_grad_norm": norm}

    def after_critic_update(self) -> None:
        """No clipping: the penalty keeps the critic near 1-Lipschitz."""
