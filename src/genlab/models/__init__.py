"""Model families. Importing this package declares every family (name, config, description:
what ``genlab train --help`` needs) without importing Keras; importing
:mod:`genlab.models.families` loads every family's model as well."""

from genlab.models.autoencoder import config as _autoencoder  # noqa: F401
from genlab.models.vae import config as _vae  # noqa: F401  (vae, cvae)
from genlab.models.gan import config as _gan  # noqa: F401  (gan, dcgan)
from genlab.models.wgan import config as _wgan  # noqa: F401  (wgan, wgan-gp)
from genlab.models.cgan import config as _cgan  # noqa: F401
from genlab.models.classifier import config as _classifier  # noqa: F401
from genlab.models.stylegan import config as _stylegan  # noqa: F401
from genlab.models.cyclegan import config as _cyclegan  # noqa: F401
from genlab.models.pix2pix import config as _pix2pix  # noqa: F401
from genlab.models.srgan import config as _srgan  # noqa: F401
