"""Importing this module loads every family's model class (Keras, TensorFlow) and binds it to
the family declared by its config (:func:`genlab.core.registry.register_model`)."""

import genlab.models  # noqa: F401  (declares every family first)
from genlab.models.autoencoder import model as _autoencoder  # noqa: F401
from genlab.models.vae import model as _vae  # noqa: F401
from genlab.models.gan import model as _gan  # noqa: F401
from genlab.models.wgan import model as _wgan  # noqa: F401
from genlab.models.cgan import model as _cgan  # noqa: F401
from genlab.models.classifier import model as _classifier  # noqa: F401
from genlab.models.stylegan import model as _stylegan  # noqa: F401
from genlab.models.cyclegan import model as _cyclegan  # noqa: F401
from genlab.models.pix2pix import model as _pix2pix  # noqa: F401
from genlab.models.srgan import model as _srgan  # noqa: F401
