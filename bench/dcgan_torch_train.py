"""Trains the PyTorch twin of models/dcgan_mnist.g (or, with --model
sngan or infogan, of models/sngan_mnist.g or models/infogan_mnist.g) on
the same data, the same way
(bench/torch_models.py's dcgan or sngan: the same layers, init, Adam,
batch 64, the alternating step, the last partial batch of each epoch
dropped, 20 epochs), then writes 1,000 samples of G (batchnorm on its
running averages, as genc samples) as an IDX file, for genc's own judge to
score them the way it scores genc's samples:

  python3 bench/dcgan_torch_train.py --out torch_dcgan.idx
  genc eval models/classifier_mnist.g --images torch_dcgan.idx

With --ema D (sngan_mnist's 0.999), G's weights and batchnorm statistics
are averaged as genc averages them (after each update of G, from the
initial weights), and the averages draw the samples after genc's standing
statistics: batchnorm's running statistics replaced by the mean of the
batch statistics of 20 training-mode runs on 100 draws of noise.

It answers whether a model's sample quality is the recipe's or genc's.
For docs/results.md; not needed by make test.
"""
import copy
import argparse
import os
import struct
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from torch_models import dcgan, gan_step, hinge_step, infogan, infogan_step, sngan
from vae_torch_train import read_idx


def write_idx(path, images):
    """images: uint8 [n, rows, cols], written as an IDX3 file."""
    with open(path, 'wb') as f:
        f.write(struct.pack('>IIII', 0x0803, *images.shape))
        f.write(images.tobytes())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--data', default='data/mnist')
    ap.add_argument('--epochs', type=int, default=20)
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--threads', type=int, default=0)
    ap.add_argument('--out', default='torch_dcgan.idx')
    ap.add_argument('--every', type=int, default=0, help='also write OUT.epochN every N epochs')
    ap.add_argument('--model', choices=['dcgan', 'sngan', 'infogan'], default='dcgan')
    ap.add_argument('--ema', type=float, default=0, help="the decay of G's averages (0: none)")
    a = ap.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    pixels = read_idx(os.path.join(a.data, 'train-images-idx3-ubyte'))
    train = torch.tensor(pixels, dtype=torch.float32).unsqueeze(1) / 255 * 2 - 1
    if a.model == 'infogan':
        m, optD, optG, B = infogan()
        # G draws the 1,000 samples with the codes in turn, as genc's judge,
        # z ~ normal(62) and u ~ uniform(-1, 1) [2] drawn afresh for each
        G, D = m.G, m
        code = torch.arange(1000) % 10
        noise = lambda n: torch.cat([torch.randn(n, 62), F.one_hot(code[:n], 10).float(),
                                     torch.rand(n, 2) * 2 - 1], 1)
        step = lambda G_, D_, oG, oD, x, B_: infogan_step(m, optD, optG, x, B_)
    else:
        G, D, B, hp = dcgan() if a.model == 'dcgan' else sngan()
        step = gan_step if a.model == 'dcgan' else hinge_step
        optG, optD = torch.optim.Adam(G.parameters(), **hp), torch.optim.Adam(D.parameters(), **hp)
        noise = lambda n: torch.randn(n, 100)
    avg = copy.deepcopy(G) if a.ema else None

    def average():
        with torch.no_grad():
            for q, p in zip(list(avg.parameters()) + list(avg.buffers()),
                            list(G.parameters()) + list(G.buffers())):
                if q.dtype.is_floating_point:
                    q.mul_(a.ema).add_(p, alpha=1 - a.ema)

    def samples(path):
        net = G
        if avg is not None:  # standing statistics for the averages, on a copy
            net = copy.deepcopy(avg)
            bns = [m for m in net.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
            for m in bns:
                m.reset_running_stats()
                m.momentum = None  # the plain mean of the runs' statistics
            net.train()
            with torch.no_grad():
                for _ in range(20):
                    net(noise(100))
        net.eval()
        with torch.no_grad():
            x = net(noise(1000))
        G.train()
        img = ((x.squeeze(1) + 1) / 2 * 255).round().clamp(0, 255).to(torch.uint8).numpy()
        write_idx(path, img)

    t0 = time.perf_counter()
    for epoch in range(a.epochs):
        perm = torch.randperm(len(train))
        for i in range(len(train) // B):
            step(G, D, optG, optD, train[perm[i * B:(i + 1) * B]], B)
            if avg is not None:
                average()
        print(f'epoch {epoch + 1}: {time.perf_counter() - t0:.0f}s', flush=True)
        if a.every and (epoch + 1) % a.every == 0 and epoch + 1 < a.epochs:
            samples(f'{a.out}.epoch{epoch + 1}')
    samples(a.out)
    print(f'torch {a.model}_mnist: {a.epochs} epochs in {time.perf_counter() - t0:.1f}s, '
          f'1000 samples in {a.out}')


if __name__ == '__main__':
    main()
