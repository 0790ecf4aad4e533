"""Trains the PyTorch twin of models/dcgan_mnist.g on the same data, the
same way (bench/torch_models.py's dcgan: the same layers, init, Adam 2e-4
with beta1 0.5, batch 64, the nonsaturating alternating step, the last
partial batch of each epoch dropped, 20 epochs), then writes 1,000 samples
of G (batchnorm on its running averages, as genc samples) as an IDX file,
for genc's own judge to score them the way it scores genc's samples:

  python3 bench/dcgan_torch_train.py --out torch_dcgan.idx
  genc eval models/classifier_mnist.g --images torch_dcgan.idx

It answers whether dcgan_mnist's sample quality is the recipe's or genc's.
For docs/results.md; not needed by make test.
"""
import argparse
import os
import struct
import time

import numpy as np
import torch

from torch_models import dcgan, gan_step
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
    a = ap.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    pixels = read_idx(os.path.join(a.data, 'train-images-idx3-ubyte'))
    train = torch.tensor(pixels, dtype=torch.float32).unsqueeze(1) / 255 * 2 - 1
    G, D, B, hp = dcgan()
    optG, optD = torch.optim.Adam(G.parameters(), **hp), torch.optim.Adam(D.parameters(), **hp)

    def samples(path):
        G.eval()
        with torch.no_grad():
            x = G(torch.randn(1000, 100))
        G.train()
        img = ((x.squeeze(1) + 1) / 2 * 255).round().clamp(0, 255).to(torch.uint8).numpy()
        write_idx(path, img)

    t0 = time.perf_counter()
    for epoch in range(a.epochs):
        perm = torch.randperm(len(train))
        for i in range(len(train) // B):
            gan_step(G, D, optG, optD, train[perm[i * B:(i + 1) * B]], B)
        print(f'epoch {epoch + 1}: {time.perf_counter() - t0:.0f}s', flush=True)
        if a.every and (epoch + 1) % a.every == 0 and epoch + 1 < a.epochs:
            samples(f'{a.out}.epoch{epoch + 1}')
    samples(a.out)
    print(f'torch dcgan_mnist: {a.epochs} epochs in {time.perf_counter() - t0:.1f}s, '
          f'1000 samples in {a.out}')


if __name__ == '__main__':
    main()
