"""Models (layer 1): Flax Linen modules — MLP and convolutional encoders and decoders, the VAE
and autoencoder, MLP and DCGAN generators and discriminators with stateless spectral
normalisation, the diffusion U-Net, the fully observed networks (FVSBN, NADE, MADE in
``autoregressive``, the gated and masked PixelCNN in ``pixelcnn``) — and the sigmoid belief
nets of the Helmholtz machine as pure functions of parameter dicts. The modules' classes are
exported here (``from genjax.models import VAE, UNet``); functions stay in their modules.

May import: jax, flax, numpy and ``genjax.losses`` (its own layer) only.
"""

from genjax.models.autoencoder import Autoencoder, Decoder, Encoder, EncoderDecoder
from genjax.models.autoregressive import FVSBN, MADE, NADE
from genjax.models.debiasing import DebiasingVAE
from genjax.models.gan import Discriminator, Generator
from genjax.models.layers import MLP, ConvTranspose, ConvTrunk, DeconvTrunk
from genjax.models.pixelcnn import GatedPixelCNN, MaskedPixelCNN
from genjax.models.spectral import SpectralConv, SpectralDense
from genjax.models.translation import PatchDiscriminator, ResnetGenerator, UNetGenerator
from genjax.models.unet import UNet
from genjax.models.vae import VAE
from genjax.models.vdm import NoiseSchedule

__all__ = [
    "MADE",
    "MLP",
    "NADE",
    "VAE",
    "Autoencoder",
    "ConvTranspose",
    "ConvTrunk",
    "DebiasingVAE",
    "DeconvTrunk",
    "Decoder",
    "Discriminator",
    "Encoder",
    "EncoderDecoder",
    "FVSBN",
    "GatedPixelCNN",
    "Generator",
    "MaskedPixelCNN",
    "NoiseSchedule",
    "PatchDiscriminator",
    "ResnetGenerator",
    "SpectralConv",
    "SpectralDense",
    "UNet",
    "UNetGenerator",
]
