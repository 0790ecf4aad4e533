"""PyTorch versions of genc's gan_mlp_mnist, dcgan_mnist, wgan_gp_mnist,
vae_mnist, sagan_mnist and resnet_gan_mnist, for `make bench`: the same
layer sizes, batch, losses, optimizer and update order as the .g files,
timed over N training steps on random data after a warm-up. Prints one
line like genc bench does:

  torch dcgan_mnist batch 64 threads 2 steps 20: 190.3 images/s, ... peak RSS 412.0 MB

Steps are numbered from 0 through the warm-up and the timed steps, as genc
bench numbers them, so that wgan_gp_mnist's generator updates (every 5th
step) fall on the same steps in both.

Run by bench/run.sh; bench/gp_agree.py imports the WGAN-GP twin. Not
needed by make test. Usage:
  python3 bench/torch_models.py MODEL [--threads N] [--steps N] [--warmup N]
"""
import argparse
import resource
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def dcgan_generator():
    return nn.Sequential(
        nn.Linear(100, 7 * 7 * 256, bias=False), nn.BatchNorm1d(7 * 7 * 256), nn.LeakyReLU(0.2),
        nn.Unflatten(1, (256, 7, 7)),
        nn.ConvTranspose2d(256, 128, 5, stride=1, padding=2, bias=False), nn.BatchNorm2d(128), nn.LeakyReLU(0.2),
        nn.ConvTranspose2d(128, 64, 5, stride=2, padding=2, output_padding=1, bias=False), nn.BatchNorm2d(64),
        nn.LeakyReLU(0.2),
        nn.ConvTranspose2d(64, 1, 5, stride=2, padding=2, output_padding=1, bias=False), nn.Tanh())


def dcgan():
    G = dcgan_generator()
    D = nn.Sequential(
        nn.Conv2d(1, 64, 5, stride=2, padding=2), nn.LeakyReLU(0.2), nn.Dropout(0.3),
        nn.Conv2d(64, 128, 5, stride=2, padding=2), nn.LeakyReLU(0.2), nn.Dropout(0.3),
        nn.Flatten(), nn.Linear(128 * 7 * 7, 1))  # logits: the loss applies the sigmoid
    for m in list(G.modules()) + list(D.modules()):
        if isinstance(m, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0, 0.02)
    return G, D, 64, dict(lr=2e-4, betas=(0.5, 0.999))


def wgan_gp():
    """dcgan's generator and its discriminator as a critic: no dropout, no
    sigmoid. PyTorch's default init, as the model's (genc's per-layer
    defaults are PyTorch's)."""
    D = nn.Sequential(
        nn.Conv2d(1, 64, 5, stride=2, padding=2), nn.LeakyReLU(0.2),
        nn.Conv2d(64, 128, 5, stride=2, padding=2), nn.LeakyReLU(0.2),
        nn.Flatten(), nn.Linear(128 * 7 * 7, 1))
    return dcgan_generator(), D, 32, dict(lr=1e-4, betas=(0.0, 0.9))


def sngan():
    """sngan_mnist: dcgan's generator against a discriminator with spectral
    norm on every layer (torch.nn.utils.spectral_norm: one power iteration
    per forward in training, as genc), leaky slope 0.1, no sigmoid: the
    hinge loss takes its output. normal(0, 0.02) init of every weight."""
    G = dcgan_generator()
    sn = nn.utils.spectral_norm
    D = nn.Sequential(
        sn(nn.Conv2d(1, 64, 5, stride=2, padding=2)), nn.LeakyReLU(0.1),
        sn(nn.Conv2d(64, 128, 5, stride=2, padding=2)), nn.LeakyReLU(0.1),
        nn.Flatten(), sn(nn.Linear(128 * 7 * 7, 1)))
    normal_init(G, D)
    return G, D, 64, dict(lr=2e-4, betas=(0.5, 0.999))


def normal_init(*nets):
    """The train block's `init normal(0, 0.02)`: the weights of dense, conv
    and deconv layers (under spectral norm, the raw weight), not their
    biases, which keep PyTorch's default as genc's do."""
    for net in nets:
        for m in net.modules():
            if isinstance(m, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
                w = m.weight_orig if hasattr(m, 'weight_orig') else m.weight
                nn.init.normal_(w, 0, 0.02)


class SelfAttention(nn.Module):
    """sagan_mnist's block attention(sn): for x [B, c, H, W] and n = H*W,
    queries and keys conv1x1 to c/8 and values to c/2 (each [B, ., n]),
    a = softmax(q^T k) over the last axis [B, n, n], o = v a^T back to
    [B, c/2, H, W], and x + gamma * conv1x1(o) to c, gamma one learned
    number from 0. Every conv with a bias, spectrally normalised if sn."""

    def __init__(self, c, sn):
        super().__init__()
        wrap = nn.utils.spectral_norm if sn else (lambda m: m)
        self.q = wrap(nn.Conv2d(c, c // 8, 1))
        self.k = wrap(nn.Conv2d(c, c // 8, 1))
        self.v = wrap(nn.Conv2d(c, c // 2, 1))
        self.o = wrap(nn.Conv2d(c // 2, c, 1))
        self.gamma = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        B, c, H, W = x.shape
        n = H * W
        q, k, v = self.q(x).view(B, -1, n), self.k(x).view(B, -1, n), self.v(x).view(B, -1, n)
        a = torch.softmax(q.transpose(1, 2) @ k, dim=-1)    # [B, n, n]
        o = (v @ a.transpose(1, 2)).view(B, -1, H, W)      # [B, c/2, H, W]
        return x + self.gamma * self.o(o)


def sagan():
    """sagan_mnist: sngan_mnist's nets with a self-attention block at
    14x14 in each, G's after its second deconv (plain), D's after its first
    conv (spectrally normalised). normal(0, 0.02) init of every weight;
    gamma starts at 0. G's averages (ema) are left out, as sngan's twin
    leaves them."""
    g = list(dcgan_generator())
    G = nn.Sequential(*g[:-2], SelfAttention(64, False), *g[-2:])    # before deconv(1) -> tanh
    sn = nn.utils.spectral_norm
    D = nn.Sequential(
        sn(nn.Conv2d(1, 64, 5, stride=2, padding=2)), nn.LeakyReLU(0.1),
        SelfAttention(64, True),
        sn(nn.Conv2d(64, 128, 5, stride=2, padding=2)), nn.LeakyReLU(0.1),
        nn.Flatten(), sn(nn.Linear(128 * 7 * 7, 1)))
    normal_init(G, D)
    return G, D, 64, dict(lr=2e-4, betas=(0.5, 0.999))


class Up(nn.Module):
    """resnet_gan_mnist's block up(c): batchnorm, relu, nearest upsampling
    x2, conv3x3, batchnorm, relu, conv3x3; plus the skip, upsampled and
    conv1x1 to c."""

    def __init__(self, cin, c):
        super().__init__()
        self.h = nn.Sequential(
            nn.BatchNorm2d(cin), nn.ReLU(), nn.Upsample(scale_factor=2),
            nn.Conv2d(cin, c, 3, padding=1), nn.BatchNorm2d(c), nn.ReLU(),
            nn.Conv2d(c, c, 3, padding=1))
        self.skip = nn.Sequential(nn.Upsample(scale_factor=2), nn.Conv2d(cin, c, 1))

    def forward(self, x):
        return self.skip(x) + self.h(x)


class Down(nn.Module):
    """resnet_gan_mnist's block down(c): relu, conv3x3, relu, conv3x3,
    2x2 average pooling; plus the skip, conv1x1 to c and pooled; every conv
    spectrally normalised."""

    def __init__(self, cin, c):
        super().__init__()
        sn = nn.utils.spectral_norm
        self.h = nn.Sequential(
            nn.ReLU(), sn(nn.Conv2d(cin, c, 3, padding=1)), nn.ReLU(),
            sn(nn.Conv2d(c, c, 3, padding=1)), nn.AvgPool2d(2))
        self.skip = nn.Sequential(sn(nn.Conv2d(cin, c, 1)), nn.AvgPool2d(2))

    def forward(self, x):
        return self.skip(x) + self.h(x)


class MinibatchStd(nn.Module):
    """resnet_gan_mnist's block mbstd: s = sqrt(E[(x - E[x])^2] + 1e-8),
    each value's (biased) standard deviation over the batch, and mean(s)
    appended as one more channel filled with it."""

    def forward(self, x):
        s = torch.sqrt(((x - x.mean(0)) ** 2).mean(0) + 1e-8).mean()
        return torch.cat([x, s.expand(x.shape[0], 1, x.shape[2], x.shape[3])], 1)


def resnet_gan():
    """resnet_gan_mnist: residual G (7x7 to 28x28 in two up blocks) and D
    (two down blocks, spectral norm on every layer, minibatch std before
    its last layer). PyTorch's default init, as the model's (no
    model-wide init). G's averages (ema) are left out, as sngan's twin
    leaves them."""
    G = nn.Sequential(
        nn.Linear(128, 7 * 7 * 64), nn.Unflatten(1, (64, 7, 7)),
        Up(64, 64), Up(64, 64),                                         # [64, 28, 28]
        nn.BatchNorm2d(64), nn.ReLU(), nn.Conv2d(64, 1, 3, padding=1), nn.Tanh())
    D = nn.Sequential(
        Down(1, 32), Down(32, 64), nn.ReLU(),                           # [64, 7, 7]
        MinibatchStd(), nn.Flatten(),                                   # [65 * 7 * 7]
        nn.utils.spectral_norm(nn.Linear(65 * 7 * 7, 1)))
    return G, D, 64, dict(lr=2e-4, betas=(0.5, 0.999))


def hinge_step(G, D, optG, optD, x, B, nz=100):
    """One step of sngan_mnist's two objectives: min D: E[relu(1 - D(x))]
    + E[relu(1 + D(G(z)))] with G(z) held constant, then min G: -E[D(G(z))]
    through the updated D. z ~ normal(nz)."""
    z = torch.randn(B, nz)
    fake = G(z)
    optD.zero_grad()
    lossD = F.relu(1 - D(x)).mean() + F.relu(1 + D(fake.detach())).mean()
    lossD.backward()
    optD.step()
    optG.zero_grad()
    lossG = -D(fake).mean()
    lossG.backward()
    optG.step()


class InfoGAN(nn.Module):
    """infogan_mnist's four nets: G(z, c, u) with c a 10-way code and u two
    continuous codes, the body D and Q share, D's head (a logit) and Q's:
    a hidden layer h shared by two heads, the code's logits and u's mean
    (q, p and mu below). PyTorch's default init, as the model's."""

    def __init__(self):
        super().__init__()
        self.G = nn.Sequential(
            nn.Linear(62 + 10 + 2, 1024, bias=False), nn.BatchNorm1d(1024), nn.ReLU(),
            nn.Linear(1024, 7 * 7 * 128, bias=False), nn.BatchNorm1d(7 * 7 * 128), nn.ReLU(),
            nn.Unflatten(1, (128, 7, 7)),
            nn.ConvTranspose2d(128, 64, 4, stride=2, padding=1, bias=False), nn.BatchNorm2d(64),
            nn.ReLU(), nn.ConvTranspose2d(64, 1, 4, stride=2, padding=1), nn.Tanh())
        self.body = nn.Sequential(
            nn.Conv2d(1, 64, 4, stride=2, padding=1), nn.LeakyReLU(0.1),
            nn.Conv2d(64, 128, 4, stride=2, padding=1, bias=False), nn.BatchNorm2d(128),
            nn.LeakyReLU(0.1), nn.Flatten(),
            nn.Linear(128 * 7 * 7, 1024, bias=False), nn.BatchNorm1d(1024), nn.LeakyReLU(0.1))
        self.d = nn.Linear(1024, 1)
        self.q = nn.Sequential(nn.Linear(1024, 128, bias=False), nn.BatchNorm1d(128),
                               nn.LeakyReLU(0.1))
        self.p = nn.Linear(128, 10)     # the code's logits: the loss applies the softmax
        self.mu = nn.Linear(128, 2)

    def generate(self, z, c, u):
        return self.G(torch.cat([z, F.one_hot(c, 10).float(), u], 1))


def infogan():
    """The twin and its optimizers: D's (Adam 2e-4) holds the body and D's
    head, which train on the game alone; G's (Adam 1e-3) holds G and Q's
    layers after the body, which train on G's loss and the information
    term."""
    m = InfoGAN()
    optD = torch.optim.Adam(list(m.body.parameters()) + list(m.d.parameters()), lr=2e-4,
                            betas=(0.5, 0.999))
    optG = torch.optim.Adam(list(m.G.parameters()) + list(m.q.parameters()) +
                            list(m.p.parameters()) + list(m.mu.parameters()), lr=1e-3,
                            betas=(0.5, 0.999))
    return m, optD, optG, 64


def infogan_step(m, optD, optG, x, B):
    """One step of infogan_mnist's two objectives, with p, mu = Q(G(z, c, u))
    and info = E[cross_entropy(p, c)] + 0.1 * E[mse(mu, u)] (genc's mse sums
    (mu - u)^2 over an example's two codes): min D, Body: -(E[log D(x)] +
    E[log(1 - D(G(z, c, u)))]) with G(z, c, u) held constant (no information
    term: the body trains on the game alone), then min G, Q: -E[log D(G(z,
    c, u))] + info through the updated body (which this phase does not
    update). G(z, c, u) is computed once; the body runs once on it per
    phase, shared in the second by both heads. z ~ normal(62), c ~
    categorical(10), u ~ uniform(-1, 1) [2]."""
    z, c, u = torch.randn(B, 62), torch.randint(0, 10, (B,)), torch.rand(B, 2) * 2 - 1
    fake = m.generate(z, c, u)
    ones, zeros = torch.ones(B, 1), torch.zeros(B, 1)
    optD.zero_grad()
    lossD = F.binary_cross_entropy_with_logits(m.d(m.body(x)), ones) + \
        F.binary_cross_entropy_with_logits(m.d(m.body(fake.detach())), zeros)
    lossD.backward()
    optD.step()
    optG.zero_grad()
    h = m.body(fake)
    q = m.q(h)
    info = F.cross_entropy(m.p(q), c) + 0.1 * ((m.mu(q) - u) ** 2).sum(1).mean()
    lossG = F.binary_cross_entropy_with_logits(m.d(h), ones) + info
    lossG.backward()
    optG.step()


def gan_mlp():
    G = nn.Sequential(nn.Linear(100, 128), nn.LeakyReLU(0.01), nn.Linear(128, 784), nn.Tanh(),
                      nn.Unflatten(1, (1, 28, 28)))
    D = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.LeakyReLU(0.01), nn.Linear(128, 1))
    return G, D, 64, dict(lr=1e-4, betas=(0.5, 0.999))


def gan_step(G, D, optG, optD, x, B):
    """One step as genc runs `min G max D ... nonsaturating`: D's update
    on real and G(z) (held constant), then G's through the updated D."""
    z = torch.randn(B, 100)
    fake = G(z)
    ones, zeros = torch.ones(B, 1), torch.zeros(B, 1)
    optD.zero_grad()
    lossD = F.binary_cross_entropy_with_logits(D(x), ones) + \
        F.binary_cross_entropy_with_logits(D(fake.detach()), zeros)
    lossD.backward()
    optD.step()
    optG.zero_grad()
    lossG = F.binary_cross_entropy_with_logits(D(fake), ones)
    lossG.backward()
    optG.step()


def wgan_gp_critic_terms(D, x, fake, eps):
    """The critic's loss of wgan_gp_mnist in its two terms: the Wasserstein
    estimate E[D(fake)] - E[D(x)] and the penalty 10 * E[(||grad D(xh)|| - 1)^2]
    at xh = eps * x + (1 - eps) * fake, eps [B] one per example. fake must
    not require gradients: the critic's update holds G constant."""
    e = eps.view(-1, 1, 1, 1)
    xh = (e * x + (1 - e) * fake).requires_grad_(True)
    g, = torch.autograd.grad(D(xh).sum(), xh, create_graph=True)
    penalty = 10 * ((g.flatten(1).norm(dim=1) - 1) ** 2).mean()
    return D(fake).mean() - D(x).mean(), penalty


def wgan_gp_step(G, D, optG, optD, x, B, s):
    """Step s (from 0) as genc runs wgan_gp_mnist's `steps D: 5, G: 1`: the
    critic's update every step, and on every 5th (s + 1 a multiple of 5)
    the generator's through the updated critic, with the step's one z and
    G(z), as genc reuses them. Only that step keeps G(z)'s graph."""
    train_g = (s + 1) % 5 == 0
    z = torch.randn(B, 100)
    with torch.set_grad_enabled(train_g):
        fake = G(z)
    optD.zero_grad()
    w, penalty = wgan_gp_critic_terms(D, x, fake.detach(), torch.rand(B))
    (w + penalty).backward()
    optD.step()
    if train_g:
        optG.zero_grad()
        (-D(fake).mean()).backward()
        optG.step()


class VAE(nn.Module):
    """The PyTorch examples' VAE: 784-400-20, decoder 20-400-784."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 400)
        self.fc21 = nn.Linear(400, 20)
        self.fc22 = nn.Linear(400, 20)
        self.fc3 = nn.Linear(20, 400)
        self.fc4 = nn.Linear(400, 784)

    def forward(self, x):
        h = F.relu(self.fc1(x.view(-1, 784)))
        mu, logvar = self.fc21(h), self.fc22(h)
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        return self.fc4(F.relu(self.fc3(z))), mu, logvar


def vae_loss(model, x):
    """Sum-over-pixels bce plus KL, summed over the batch (nats)."""
    logits, mu, logvar = model(x)
    bce = F.binary_cross_entropy_with_logits(logits, x.view(-1, 784), reduction='sum')
    kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return bce + kl


def vae_step(model, opt, x):
    opt.zero_grad()
    loss = vae_loss(model, x) / x.shape[0]  # nats per image
    loss.backward()
    opt.step()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('model', choices=['gan_mlp_mnist', 'dcgan_mnist', 'wgan_gp_mnist', 'vae_mnist',
                                      'sagan_mnist', 'resnet_gan_mnist'])
    ap.add_argument('--threads', type=int, default=0)
    ap.add_argument('--steps', type=int, default=20)
    ap.add_argument('--warmup', type=int, default=3)
    a = ap.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    if a.model == 'vae_mnist':
        model, B = VAE(), 128
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        x = torch.rand(B, 1, 28, 28)
        step = lambda s: vae_step(model, opt, x)
    else:
        G, D, B, hp = {'gan_mlp_mnist': gan_mlp, 'dcgan_mnist': dcgan, 'wgan_gp_mnist': wgan_gp,
                       'sagan_mnist': sagan, 'resnet_gan_mnist': resnet_gan}[a.model]()
        optG, optD = torch.optim.Adam(G.parameters(), **hp), torch.optim.Adam(D.parameters(), **hp)
        x = torch.rand(B, 1, 28, 28) * 2 - 1
        if a.model == 'wgan_gp_mnist':
            step = lambda s: wgan_gp_step(G, D, optG, optD, x, B, s)
        elif a.model == 'sagan_mnist':
            step = lambda s: hinge_step(G, D, optG, optD, x, B)
        elif a.model == 'resnet_gan_mnist':
            step = lambda s: hinge_step(G, D, optG, optD, x, B, nz=128)
        else:
            step = lambda s: gan_step(G, D, optG, optD, x, B)
    for s in range(a.warmup):
        step(s)
    t0 = time.perf_counter()
    for s in range(a.warmup, a.warmup + a.steps):
        step(s)
    dt = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(f"torch {a.model} batch {B} threads {torch.get_num_threads()} steps {a.steps}: "
          f"{a.steps * B / dt:.1f} images/s, {dt / a.steps:.4f} s/step, peak RSS {rss:.1f} MB")


if __name__ == '__main__':
    main()
