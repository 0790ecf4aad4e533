"""PyTorch versions of genc's gan_mlp_mnist, dcgan_mnist and vae_mnist, for
`make bench`: the same layer sizes, batch, losses, optimizer and update
order as the .g files, timed over N training steps on random data after a
warm-up. Prints one line like genc bench does:

  torch dcgan_mnist batch 64 threads 2 steps 20: 190.3 images/s, ... peak RSS 412.0 MB

Run by bench/run.sh; not needed by make test. Usage:
  python3 bench/torch_models.py MODEL [--threads N] [--steps N] [--warmup N]
"""
import argparse
import resource
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def dcgan():
    G = nn.Sequential(
        nn.Linear(100, 7 * 7 * 256, bias=False), nn.BatchNorm1d(7 * 7 * 256), nn.LeakyReLU(0.2),
        nn.Unflatten(1, (256, 7, 7)),
        nn.ConvTranspose2d(256, 128, 5, stride=1, padding=2, bias=False), nn.BatchNorm2d(128), nn.LeakyReLU(0.2),
        nn.ConvTranspose2d(128, 64, 5, stride=2, padding=2, output_padding=1, bias=False), nn.BatchNorm2d(64),
        nn.LeakyReLU(0.2),
        nn.ConvTranspose2d(64, 1, 5, stride=2, padding=2, output_padding=1, bias=False), nn.Tanh())
    D = nn.Sequential(
        nn.Conv2d(1, 64, 5, stride=2, padding=2), nn.LeakyReLU(0.2), nn.Dropout(0.3),
        nn.Conv2d(64, 128, 5, stride=2, padding=2), nn.LeakyReLU(0.2), nn.Dropout(0.3),
        nn.Flatten(), nn.Linear(128 * 7 * 7, 1))  # logits: the loss applies the sigmoid
    for m in list(G.modules()) + list(D.modules()):
        if isinstance(m, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0, 0.02)
    return G, D, 64, dict(lr=2e-4, betas=(0.5, 0.999))


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
    ap.add_argument('model', choices=['gan_mlp_mnist', 'dcgan_mnist', 'vae_mnist'])
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
        step = lambda: vae_step(model, opt, x)
    else:
        G, D, B, hp = dcgan() if a.model == 'dcgan_mnist' else gan_mlp()
        optG, optD = torch.optim.Adam(G.parameters(), **hp), torch.optim.Adam(D.parameters(), **hp)
        x = torch.rand(B, 1, 28, 28) * 2 - 1
        step = lambda: gan_step(G, D, optG, optD, x, B)
    for _ in range(a.warmup):
        step()
    t0 = time.perf_counter()
    for _ in range(a.steps):
        step()
    dt = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(f"torch {a.model} batch {B} threads {torch.get_num_threads()} steps {a.steps}: "
          f"{a.steps * B / dt:.1f} images/s, {dt / a.steps:.4f} s/step, peak RSS {rss:.1f} MB")


if __name__ == '__main__':
    main()
