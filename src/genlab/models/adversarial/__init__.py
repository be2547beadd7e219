"""What the adversarial families (gan, dcgan, wgan, wgan-gp, cgan) share: the base model with
two optimizers and the alternating training step, the objectives, network building blocks and
the common config fields. Not a family itself: it registers nothing."""

from genlab.models.adversarial.base import AdversarialModel, update_moving_average
from genlab.models.adversarial.config import AdversarialConfig, MinimaxConfig, with_default

__all__ = ["AdversarialConfig", "AdversarialModel", "MinimaxConfig", "update_moving_average", "with_default"]
