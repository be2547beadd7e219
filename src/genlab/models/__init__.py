"""Model families. Importing this package registers every family with genlab's registry."""

from genlab.models import autoencoder  # noqa: F401
from genlab.models import gan, wgan, cgan  # noqa: F401  (gan, dcgan, wgan, wgan-gp, cgan)
from genlab.models import vae  # noqa: F401
from genlab.models import classifier  # noqa: F401
from genlab.models import stylegan  # noqa: F401
from genlab.models import cyclegan  # noqa: F401
from genlab.models import pix2pix  # noqa: F401
from genlab.models import srgan  # noqa: F401
