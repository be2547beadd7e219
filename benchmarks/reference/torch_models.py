"""The benchmark's five models in PyTorch, with plain training loops (reference for speed.py).

Same layer sizes as genlab's defaults at the benchmark shapes (and as the keras-io-style
references beside this file): the conv autoencoder and VAE on 1x28x28, DCGAN and WGAN-GP on
3x32x32, the small StyleGAN2 on 3x32x32. Tensors are NCHW (PyTorch's layout); "same"
padding is written out (stride-2 3x3: padding 1, output_padding 1 for the transposed convs;
stride-2 4x4: padding 1).

Each ``*_trainer(batch_size)`` returns ``(step, examples_per_step, step_multiple, networks)``:
``step()`` runs one training step on an in-memory batch and returns when it is done (eager
CPU execution is synchronous). The loops follow the algorithm genlab's family runs:

* autoencoder: BCE on the reconstruction, Adam(1e-3);
* VAE: per-example summed BCE + KL, one sample z, Adam(1e-3);
* DCGAN (as PyTorch's DCGAN example): D on real and on G(z) detached, then G through D on the
  same G(z), non-saturating loss, Adam(2e-4, 0.5);
* WGAN-GP: one critic update per step (gradient penalty with alpha ~ U(0, 1), lambda 10),
  a generator update every 5th step, Adam(1e-4, 0, 0.9);
* StyleGAN: D step (softplus losses, R1 with gamma 1 every 16th step, weighted by 16), G step,
  both on new style-mixed latents, EMA of the generator, Adam(1e-3, 0, 0.99).
"""

from __future__ import annotations

import copy
import math

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F


def parameter_count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


# --------------------------------------------------------------------------------------
# Autoencoder and VAE (1x28x28)
# --------------------------------------------------------------------------------------


class ConvEncoder(nn.Module):
    def __init__(self, latent_dim=32, channels=1, filters=(32, 64), size=28, heads=1):
        super().__init__()
        self.convs = nn.ModuleList()
        previous = channels
        for count in filters:
            self.convs.append(nn.Conv2d(previous, count, 3, stride=2, padding=1))
            previous = count
        flat = filters[-1] * (size // 2 ** len(filters)) ** 2
        self.heads = nn.ModuleList(nn.Linear(flat, latent_dim) for _ in range(heads))

    def forward(self, x):
        for conv in self.convs:
            x = F.relu(conv(x))
        x = x.flatten(1)
        outputs = [head(x) for head in self.heads]
        return outputs[0] if len(outputs) == 1 else outputs


class ConvDecoder(nn.Module):
    def __init__(self, latent_dim=32, channels=1, filters=(32, 64), size=28):
        super().__init__()
        self.base = size // 2 ** len(filters)
        self.filters = filters
        self.project = nn.Linear(latent_dim, self.base * self.base * filters[-1])
        self.deconvs = nn.ModuleList()
        previous = filters[-1]
        for count in reversed(filters):
            self.deconvs.append(nn.ConvTranspose2d(previous, count, 3, stride=2, padding=1, output_padding=1))
            previous = count
        self.pixels = nn.Conv2d(previous, channels, 3, padding=1)

    def forward(self, z):
        x = F.relu(self.project(z)).view(-1, self.filters[-1], self.base, self.base)
        for deconv in self.deconvs:
            x = F.relu(deconv(x))
        return self.pixels(x)  # logits


def random_images(batch_size, shape, low=0.0, high=1.0, seed=0):
    generator = np.random.default_rng(seed)
    return torch.from_numpy(generator.uniform(low, high, size=(batch_size, *shape)).astype(np.float32))


def autoencoder_trainer(batch_size=128):
    encoder, decoder = ConvEncoder(32), ConvDecoder(32)
    optimizer = torch.optim.Adam([*encoder.parameters(), *decoder.parameters()], lr=1e-3)
    images = random_images(batch_size, (1, 28, 28))

    def step():
        reconstruction = torch.sigmoid(decoder(encoder(images)))
        loss = F.binary_cross_entropy(reconstruction, images)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    return step, batch_size, 1, {"encoder": encoder, "decoder": decoder}


def vae_trainer(batch_size=128):
    encoder, decoder = ConvEncoder(16, heads=2), ConvDecoder(16)
    optimizer = torch.optim.Adam([*encoder.parameters(), *decoder.parameters()], lr=1e-3)
    images = random_images(batch_size, (1, 28, 28))

    def step():
        mean, log_variance = encoder(images)
        z = mean + torch.exp(0.5 * log_variance) * torch.randn_like(mean)
        logits = decoder(z)
        reconstruction = F.binary_cross_entropy_with_logits(logits, images, reduction="none").sum((1, 2, 3))
        kl = 0.5 * (mean.square() + log_variance.exp() - 1.0 - log_variance).sum(1)
        loss = (reconstruction + kl).mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    return step, batch_size, 1, {"encoder": encoder, "decoder": decoder}


# --------------------------------------------------------------------------------------
# DCGAN and WGAN-GP (3x32x32)
# --------------------------------------------------------------------------------------


def _init(module):
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        nn.init.normal_(module.weight, 0.0, 0.02)


class Generator(nn.Module):
    def __init__(self, latent_dim=100, channels=3, filters=(64, 128), size=32):
        super().__init__()
        self.base = size // 2 ** len(filters)
        self.top = filters[-1]
        self.project = nn.Linear(latent_dim, self.base * self.base * filters[-1], bias=False)
        self.project_norm = nn.BatchNorm1d(self.base * self.base * filters[-1])
        ups = []
        previous = filters[-1]
        for count in reversed(filters[:-1]):
            ups += [nn.ConvTranspose2d(previous, count, 4, stride=2, padding=1), nn.BatchNorm2d(count), nn.ReLU()]
            previous = count
        ups += [nn.ConvTranspose2d(previous, channels, 4, stride=2, padding=1), nn.Tanh()]
        self.ups = nn.Sequential(*ups)
        self.apply(_init)

    def forward(self, z):
        x = F.relu(self.project_norm(self.project(z))).view(-1, self.top, self.base, self.base)
        return self.ups(x)


class Discriminator(nn.Module):
    """``norm`` batch (DCGAN) or layer (WGAN-GP critic: over C, H, W)."""

    def __init__(self, channels=3, filters=(64, 128), size=32, norm="batch"):
        super().__init__()
        layers = [nn.Conv2d(channels, filters[0], 4, stride=2, padding=1), nn.LeakyReLU(0.2)]
        previous, side = filters[0], size // 2
        for count in filters[1:]:
            side //= 2
            norm_layer = nn.BatchNorm2d(count) if norm == "batch" else nn.LayerNorm([count, side, side])
            layers += [nn.Conv2d(previous, count, 4, stride=2, padding=1, bias=False), norm_layer, nn.LeakyReLU(0.2)]
            previous = count
        self.features = nn.Sequential(*layers, nn.Flatten())
        self.output = nn.Linear(previous * side * side, 1)
        self.apply(_init)

    def forward(self, x):
        return self.output(self.features(x))


def dcgan_trainer(batch_size=128, latent_dim=100):
    generator, discriminator = Generator(latent_dim), Discriminator()
    g_optimizer = torch.optim.Adam(generator.parameters(), lr=2e-4, betas=(0.5, 0.999))
    d_optimizer = torch.optim.Adam(discriminator.parameters(), lr=2e-4, betas=(0.5, 0.999))
    real = random_images(batch_size, (3, 32, 32), -1.0, 1.0)
    ones, zeros = torch.ones(batch_size, 1), torch.zeros(batch_size, 1)

    def step():
        fake = generator(torch.randn(batch_size, latent_dim))
        d_loss = (F.binary_cross_entropy_with_logits(discriminator(real), ones)
                  + F.binary_cross_entropy_with_logits(discriminator(fake.detach()), zeros))
        d_optimizer.zero_grad(set_to_none=True)
        d_loss.backward()
        d_optimizer.step()
        g_loss = F.binary_cross_entropy_with_logits(discriminator(fake), ones)  # non-saturating
        g_optimizer.zero_grad(set_to_none=True)
        g_loss.backward()
        g_optimizer.step()

    return step, batch_size, 1, {"generator": generator, "discriminator": discriminator}


def wgan_gp_trainer(batch_size=128, latent_dim=128, critic_steps=5, gp_weight=10.0):
    generator, critic = Generator(latent_dim), Discriminator(norm="layer")
    g_optimizer = torch.optim.Adam(generator.parameters(), lr=1e-4, betas=(0.0, 0.9))
    d_optimizer = torch.optim.Adam(critic.parameters(), lr=1e-4, betas=(0.0, 0.9))
    real = random_images(batch_size, (3, 32, 32), -1.0, 1.0)
    count = [0]

    def step():
        with torch.no_grad():
            fake = generator(torch.randn(batch_size, latent_dim))
        alpha = torch.rand(batch_size, 1, 1, 1)
        mixed = (alpha * real + (1.0 - alpha) * fake).requires_grad_(True)
        gradients, = torch.autograd.grad(critic(mixed).sum(), mixed, create_graph=True)
        penalty = ((gradients.flatten(1).norm(dim=1) - 1.0) ** 2).mean()
        d_loss = critic(fake).mean() - critic(real).mean() + gp_weight * penalty
        d_optimizer.zero_grad(set_to_none=True)
        d_loss.backward()
        d_optimizer.step()
        count[0] += 1
        if count[0] % critic_steps == 0:
            g_loss = -critic(generator(torch.randn(batch_size, latent_dim))).mean()
            g_optimizer.zero_grad(set_to_none=True)
            g_loss.backward()
            g_optimizer.step()

    return step, batch_size, critic_steps, {"generator": generator, "discriminator": critic}


# --------------------------------------------------------------------------------------
# StyleGAN2, small (3x32x32)
# --------------------------------------------------------------------------------------

GAIN = math.sqrt(2.0)


def lrelu(x):
    return F.leaky_relu(x, 0.2) * GAIN


def channels_at(resolution, base=1024, most=64):
    return min(base // resolution, most)


class EqualLinear(nn.Module):
    def __init__(self, fan_in, units, activate=False, lr_mul=1.0):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(units, fan_in) / lr_mul)
        self.bias = nn.Parameter(torch.zeros(units))
        self.scale, self.lr_mul, self.activate = lr_mul / math.sqrt(fan_in), lr_mul, activate

    def forward(self, x):
        y = F.linear(x, self.weight * self.scale, self.bias * self.lr_mul)
        return lrelu(y) if self.activate else y


class EqualConv(nn.Module):
    def __init__(self, fan_in, filters, kernel_size=3, activate=False, bias=True):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(filters, fan_in, kernel_size, kernel_size))
        self.bias = nn.Parameter(torch.zeros(filters)) if bias else None
        self.scale, self.activate, self.padding = 1.0 / math.sqrt(fan_in * kernel_size**2), activate, kernel_size // 2

    def forward(self, x):
        y = F.conv2d(x, self.weight * self.scale, self.bias, padding=self.padding)
        return lrelu(y) if self.activate else y


class ModConv(nn.Module):
    def __init__(self, fan_in, filters, w_dim=64, kernel_size=3, demodulate=True, upsample=False):
        super().__init__()
        self.affine = nn.Parameter(torch.randn(fan_in, w_dim))
        self.affine_bias = nn.Parameter(torch.ones(fan_in))
        self.weight = nn.Parameter(torch.randn(filters, fan_in, kernel_size, kernel_size))
        self.bias = nn.Parameter(torch.zeros(filters))
        self.affine_scale, self.scale = 1.0 / math.sqrt(w_dim), 1.0 / math.sqrt(fan_in * kernel_size**2)
        self.demodulate, self.upsample, self.padding = demodulate, upsample, kernel_size // 2

    def forward(self, x, w):
        style = F.linear(w, self.affine * self.affine_scale, self.affine_bias)  # (B, C_in)
        weight = self.weight * self.scale
        if self.upsample:
            x = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
        y = F.conv2d(x * style[:, :, None, None], weight, padding=self.padding)
        if self.demodulate:
            y = y * torch.rsqrt(style.square() @ weight.square().sum((2, 3)).t() + 1e-8)[:, :, None, None]
        return y + self.bias[None, :, None, None]


class StyledLayer(nn.Module):
    def __init__(self, fan_in, filters, size, upsample=False):
        super().__init__()
        self.conv = ModConv(fan_in, filters, upsample=upsample)
        self.strength = nn.Parameter(torch.zeros(()))
        self.register_buffer("constant_noise", torch.randn(1, 1, size, size))

    def forward(self, x, w):
        x = self.conv(x, w)
        return lrelu(x + self.strength * torch.randn(x.shape[0], 1, x.shape[2], x.shape[3]))


class Mapping(nn.Module):
    def __init__(self, latent_dim=64, w_dim=64, depth=4):
        super().__init__()
        self.layers = nn.ModuleList(EqualLinear(latent_dim if i == 0 else w_dim, w_dim, True, 0.01) for i in range(depth))
        self.register_buffer("w_average", torch.zeros(w_dim))

    def forward(self, z):
        x = z * torch.rsqrt(z.square().mean(1, keepdim=True) + 1e-8)
        for layer in self.layers:
            x = layer(x)
        if self.training:
            self.w_average.lerp_(x.detach().float().mean(0), 0.005)
        return x


class Synthesis(nn.Module):
    def __init__(self, resolution=32, channels=3):
        super().__init__()
        self.constant = nn.Parameter(torch.randn(1, channels_at(4), 4, 4))
        self.first = StyledLayer(channels_at(4), channels_at(4), 4)
        self.first_rgb = ModConv(channels_at(4), channels, kernel_size=1, demodulate=False)
        self.blocks = nn.ModuleList()
        previous = channels_at(4)
        for block in range(1, int(math.log2(resolution)) - 1):
            size = 4 * 2**block
            filters = channels_at(size)
            self.blocks.append(nn.ModuleList([StyledLayer(previous, filters, size, upsample=True),
                                              StyledLayer(filters, filters, size),
                                              ModConv(filters, channels, kernel_size=1, demodulate=False)]))
            previous = filters

    def forward(self, ws):
        x = self.first(self.constant.expand(ws.shape[0], -1, -1, -1), ws[:, 0])
        image = self.first_rgb(x, ws[:, 1])
        for block, (conv0, conv1, to_rgb) in enumerate(self.blocks, start=1):
            x = conv1(conv0(x, ws[:, 2 * block - 1]), ws[:, 2 * block])
            image = F.interpolate(image, scale_factor=2, mode="bilinear", align_corners=False) + to_rgb(x, ws[:, 2 * block + 1])
        return image


class StyleDiscriminator(nn.Module):
    def __init__(self, resolution=32, channels=3, group=4):
        super().__init__()
        self.group = group
        self.from_rgb = EqualConv(channels, channels_at(resolution), 1, activate=True)
        self.blocks = nn.ModuleList()
        size = resolution
        while size > 4:
            self.blocks.append(nn.ModuleList([EqualConv(channels_at(size), channels_at(size), 3, activate=True),
                                              EqualConv(channels_at(size), channels_at(size // 2), 3, activate=True),
                                              EqualConv(channels_at(size), channels_at(size // 2), 1, bias=False)]))
            size //= 2
        self.out_conv = EqualConv(channels_at(4) + 1, channels_at(4), 3, activate=True)
        self.out_dense = EqualLinear(channels_at(4) * 16, channels_at(4), activate=True)
        self.logit = EqualLinear(channels_at(4), 1)

    def forward(self, x):
        x = self.from_rgb(x)
        for conv0, conv1, skip in self.blocks:
            shortcut = skip(F.avg_pool2d(x, 2))
            x = conv1(F.avg_pool2d(conv0(x), 2))
            x = (x + shortcut) / math.sqrt(2.0)
        groups = x.reshape(self.group, -1, *x.shape[1:])
        spread = torch.sqrt(groups.var(0, unbiased=False) + 1e-8).mean((1, 2, 3))
        x = torch.cat([x, spread.repeat(self.group)[:, None, None, None].expand(-1, 1, *x.shape[2:])], 1)
        x = self.out_conv(x).flatten(1)
        return self.logit(self.out_dense(x))


def stylegan_trainer(batch_size=128, latent_dim=64, num_ws=None, style_mixing=0.9, r1_gamma=1.0, r1_interval=16,
                     ema_decay=0.995, resolution=32):
    num_ws = num_ws or 2 * int(math.log2(resolution)) - 2  # two styled layers per resolution from 4x4
    mapping, synthesis = Mapping(latent_dim), Synthesis(resolution)
    discriminator = StyleDiscriminator(resolution)
    mapping_ema, synthesis_ema = copy.deepcopy(mapping).eval(), copy.deepcopy(synthesis).eval()
    for module in (mapping_ema, synthesis_ema):
        module.requires_grad_(False)
    adam = dict(lr=1e-3, betas=(0.0, 0.99), eps=1e-8)
    g_optimizer = torch.optim.Adam([*mapping.parameters(), *synthesis.parameters()], **adam)
    d_optimizer = torch.optim.Adam(discriminator.parameters(), **adam)
    real = random_images(batch_size, (3, resolution, resolution), -1.0, 1.0)
    count = [0]

    def styles():
        w1, w2 = mapping(torch.randn(batch_size, latent_dim)), mapping(torch.randn(batch_size, latent_dim))
        crossover = torch.randint(1, num_ws, (batch_size,))
        crossover = torch.where(torch.rand(batch_size) < style_mixing, crossover, torch.full_like(crossover, num_ws))
        first = torch.arange(num_ws)[None, :, None] < crossover[:, None, None]
        return torch.where(first, w1[:, None, :], w2[:, None, :])

    def step():
        fake = synthesis(styles())
        d_loss = F.softplus(discriminator(fake.detach())).mean() + F.softplus(-discriminator(real)).mean()
        if count[0] % r1_interval == 0:
            real_watched = real.detach().requires_grad_(True)
            gradients, = torch.autograd.grad(discriminator(real_watched).sum(), real_watched, create_graph=True)
            d_loss = d_loss + gradients.square().sum((1, 2, 3)).mean() * (r1_gamma / 2.0) * r1_interval
        d_optimizer.zero_grad(set_to_none=True)
        d_loss.backward()
        d_optimizer.step()
        count[0] += 1

        g_loss = F.softplus(-discriminator(synthesis(styles()))).mean()
        g_optimizer.zero_grad(set_to_none=True)
        g_loss.backward()
        g_optimizer.step()
        beta = min(ema_decay, (1.0 + count[0]) / (10.0 + count[0]))
        with torch.no_grad():
            for network, ema in ((mapping, mapping_ema), (synthesis, synthesis_ema)):
                for parameter, average in zip(network.parameters(), ema.parameters()):
                    average.lerp_(parameter, 1.0 - beta)
                for buffer, average in zip(network.buffers(), ema.buffers()):
                    average.copy_(buffer)

    networks = {"mapping": mapping, "synthesis": synthesis, "discriminator": discriminator}
    return step, batch_size, 1, networks


TRAINERS = {"autoencoder": autoencoder_trainer, "vae": vae_trainer, "dcgan": dcgan_trainer,
            "wgan-gp": wgan_gp_trainer, "stylegan": stylegan_trainer}
