"""Models (layer 1): Flax Linen modules — MLP and convolutional encoders and decoders, the VAE
and autoencoder, MLP and DCGAN generators and discriminators with stateless spectral
normalisation, the diffusion U-Net, the fully observed networks (FVSBN, NADE, MADE in
``autoregressive``, the gated and masked PixelCNN in ``pixelcnn``) — and the sigmoid belief
nets of the Helmholtz machine as pure functions of parameter dicts. Import each from its
module (``genjax.models.vae``, ...).

May import: jax, flax, numpy and ``genjax.losses`` (its own layer) only.
"""
