"""Trains the PyTorch twin of models/vae_mnist.g on the same data, the same
way (784-400-20 MLP, Adam 1e-3, batch 128, the last partial batch of each
epoch dropped, 10 epochs), and prints its test loss in nats per image
(sum-over-pixels Bernoulli cross-entropy plus KL, eps sampled, as
`genc eval models/vae_mnist.g` reports it). For docs/results.md; not needed
by make test.

  python3 bench/vae_torch_train.py [--data data/mnist] [--epochs 10] [--seed 1]
"""
import argparse
import gzip
import os
import struct
import time

import numpy as np
import torch

from torch_models import VAE, vae_loss


def read_idx(path):
    if not os.path.exists(path) and os.path.exists(path + '.gz'):
        path += '.gz'
    opener = gzip.open if path.endswith('.gz') else open
    with opener(path, 'rb') as f:
        magic = struct.unpack('>I', f.read(4))[0]
        dims = struct.unpack('>' + 'I' * (magic & 0xff), f.read(4 * (magic & 0xff)))
        return np.frombuffer(f.read(), dtype=np.uint8).reshape(dims)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--data', default='data/mnist')
    ap.add_argument('--epochs', type=int, default=10)
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--threads', type=int, default=0)
    a = ap.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    train = torch.tensor(read_idx(os.path.join(a.data, 'train-images-idx3-ubyte')), dtype=torch.float32) / 255
    test = torch.tensor(read_idx(os.path.join(a.data, 't10k-images-idx3-ubyte')), dtype=torch.float32) / 255
    model = VAE()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    B = 128
    t0 = time.perf_counter()
    for epoch in range(a.epochs):
        model.train()
        perm = torch.randperm(len(train))
        for i in range(len(train) // B):
            x = train[perm[i * B:(i + 1) * B]]
            opt.zero_grad()
            loss = vae_loss(model, x) / B
            loss.backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            total = sum(vae_loss(model, test[i:i + B]).item() for i in range(0, len(test), B))
        print(f'epoch {epoch + 1}: test loss {total / len(test):.2f} nats per image')
    print(f'torch vae_mnist: {a.epochs} epochs in {time.perf_counter() - t0:.1f}s, '
          f'test loss {total / len(test):.2f} nats per image ({len(test)} test images)')


if __name__ == '__main__':
    main()
