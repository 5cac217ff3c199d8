"""Image-to-image translation losses of pix2pix and CycleGAN, with the behaviour of the authors'
code (junyanz/pytorch-CycleGAN-and-pix2pix: ``GANLoss``, ``pix2pix_model.py``,
``cycle_gan_model.py``, ``util/image_pool.py``).

The reconstruction terms are unweighted means of absolute errors; the caller weights them
(the authors: λ_L1 = 100 for pix2pix, λ_cycle = 10 and λ_identity = 0.5·λ_cycle for CycleGAN).
The patch adversarial losses take logit maps of any shape and average over every element.
The image pool of past fakes is a dict of arrays, so it jits and checkpoints with the state.
"""

import jax
import jax.numpy as jnp

from genjax.losses.adversarial import AdversarialLoss, Metrics

Pool = dict[str, jax.Array]


def l1_loss(output: jax.Array, target: jax.Array) -> jax.Array:
    """Mean absolute error over every element (PyTorch's ``L1Loss``).

    Args:
      output: predictions, any shape.
      target: targets, same shape.

    Returns:
      A scalar.
    """
    return jnp.mean(jnp.abs(output - target))


def cycle_consistency_loss(real: jax.Array, reconstructed: jax.Array) -> jax.Array:
    """||F(G(x)) - x||₁ averaged over elements (CycleGAN's cycle term for one direction).

    Args:
      real: images of one domain [B, H, W, C].
      reconstructed: their round trip through both generators, same shape.

    Returns:
      A scalar (weight it by λ_cycle).
    """
    return l1_loss(reconstructed, real)


def identity_loss(real: jax.Array, mapped: jax.Array) -> jax.Array:
    """||G(y) - y||₁ averaged over elements: a generator into domain Y should leave images of
    Y unchanged (CycleGAN's identity term).

    Args:
      real: images of the generator's target domain [B, H, W, C].
      mapped: the generator applied to them, same shape.

    Returns:
      A scalar (weight it by λ_identity, the authors' 0.5·λ_cycle).
    """
    return l1_loss(mapped, real)


def _d_metrics(
    real: jax.Array, fake: jax.Array, real_term: jax.Array, fake_term: jax.Array
) -> Metrics:
    return {
        "d_real": jnp.mean(real),
        "d_fake": jnp.mean(fake),
        "d_loss_real": real_term,
        "d_loss_fake": fake_term,
    }


def patch_vanilla_discriminator(real: jax.Array, fake: jax.Array) -> tuple[jax.Array, Metrics]:
    """½ [BCE(real logits, 1) + BCE(fake logits, 0)], each a mean over all elements.

    Args:
      real: logit maps on real pairs, e.g. [B, h, w, 1].
      fake: logit maps on generated pairs, any shape.

    Returns:
      (loss, metrics: mean logits ``d_real`` / ``d_fake``, the two terms ``d_loss_*``).
    """
    real_term = jnp.mean(jax.nn.softplus(-real))
    fake_term = jnp.mean(jax.nn.softplus(fake))
    return 0.5 * (real_term + fake_term), _d_metrics(real, fake, real_term, fake_term)


def patch_vanilla_generator(fake: jax.Array) -> tuple[jax.Array, Metrics]:
    """BCE(fake logits, 1), a mean over all elements (no ½: the authors' generator term).

    Args:
      fake: logit maps on generated pairs.

    Returns:
      (loss, {}).
    """
    return jnp.mean(jax.nn.softplus(-fake)), {}


def patch_lsgan_discriminator(real: jax.Array, fake: jax.Array) -> tuple[jax.Array, Metrics]:
    """½ [mean (D(real) - 1)² + mean D(fake)²] over all elements.

    Args:
      real: score maps on real pairs.
      fake: score maps on generated pairs.

    Returns:
      (loss, metrics as ``patch_vanilla_discriminator``).
    """
    real_term = jnp.mean(jnp.square(real - 1.0))
    fake_term = jnp.mean(jnp.square(fake))
    return 0.5 * (real_term + fake_term), _d_metrics(real, fake, real_term, fake_term)


def patch_lsgan_generator(fake: jax.Array) -> tuple[jax.Array, Metrics]:
    """mean (D(fake) - 1)² over all elements.

    Args:
      fake: score maps on generated pairs.

    Returns:
      (loss, {}).
    """
    return jnp.mean(jnp.square(fake - 1.0)), {}


PATCH_GAN_LOSSES = {
    "vanilla": AdversarialLoss(patch_vanilla_discriminator, patch_vanilla_generator),
    "lsgan": AdversarialLoss(patch_lsgan_discriminator, patch_lsgan_generator),
}


def pool_init(size: int, image_shape: tuple, dtype=jnp.float32) -> Pool:
    """An empty pool of past generated images.

    Args:
      size: capacity (the authors' ``pool_size``, 50; 0 disables the pool).
      image_shape: (H, W, C) of one image.
      dtype: the images' dtype.

    Returns:
      {"images": zeros [size, H, W, C], "count": int32 number stored}.
    """
    return {
        "images": jnp.zeros((size, *image_shape), dtype),
        "count": jnp.zeros((), jnp.int32),
    }


def _pool_step(carry: tuple, inputs: tuple) -> tuple:
    """One image through the pool: store while filling, else swap with probability ½."""
    stored, count = carry
    image, key = inputs
    size = stored.shape[0]
    full = count >= size
    key_use, key_slot = jax.random.split(key)
    use_pool = full & (jax.random.uniform(key_use) > 0.5)
    slot = jnp.where(full, jax.random.randint(key_slot, (), 0, size), count)
    old = stored[slot]
    stored = stored.at[slot].set(jnp.where(full & ~use_pool, old, image))
    out = jnp.where(use_pool, old, image)
    return (stored, jnp.where(full, count, count + 1)), out


def pool_query(pool: Pool, images: jax.Array, key: jax.Array) -> tuple[jax.Array, Pool]:
    """The authors' ``ImagePool.query``: images pass one at a time, in order. While the pool
    is not full each is stored and returned; once full, with probability ½ a uniformly chosen
    stored image is returned and the new one takes its slot, else the new image is returned.

    Args:
      pool: from ``pool_init`` (or a previous query).
      images: generated images [B, H, W, C] (gradients are stopped, as the authors' ``.data``;
        cast to the pool's dtype).
      key: the draws; the same key gives the same result.

    Returns:
      (images for the discriminator [B, H, W, C], the updated pool).
    """
    images = jax.lax.stop_gradient(images)
    if pool["images"].shape[0] == 0:
        return images, pool
    images = images.astype(pool["images"].dtype)
    keys = jax.random.split(key, images.shape[0])
    carry = (pool["images"], pool["count"])
    (stored, count), out = jax.lax.scan(_pool_step, carry, (images, keys))
    return out, {"images": stored, "count": count}
