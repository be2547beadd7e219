"""What the adversarial families (gan, dcgan, wgan, wgan-gp, cgan) share: the base model with
the alternating training step (on :class:`genlab.models.two_player.TwoPlayerModel`), the
objectives, network building blocks and the common config fields. Not a family itself: it
registers nothing."""

from genlab.core.lazy import lazy_exports
from genlab.models.adversarial.config import AdversarialConfig, MinimaxConfig, with_default

__all__ = ["AdversarialConfig", "AdversarialModel", "MinimaxConfig", "with_default"]

# the model (Keras) loads on first use, the config at once (see genlab.core.lazy)
__getattr__ = lazy_exports(__name__, {"AdversarialModel": "base"})
