"""Checks genc's WGAN-GP critic against PyTorch: on one batch, with the same
weights, images, z and eps, the critic's loss and its gradient with
respect to every parameter of D must agree with PyTorch's (float32)
within 1e-4 relative. Twice: (a) models/wgan_gp_mnist.g as it is, whose
critic minimises E[D(G(z))] - E[D(x)] + 10 * E[(||grad D(xh)|| - 1)^2],
and (b) a copy whose critic minimises the penalty alone, so that a
second-order error cannot hide behind the first-order terms.

The weights are a genc checkpoint's: by default that of a 3-step
`genc run` (weights no longer at their init, Adam's first steps
taken), or --checkpoint's. The copy (b) has another model hash but the
same parameters, so its checkpoint is this one with (b)'s hash, which a
one-step run of (b) tells. build/bench/gp_agree (bench/gp_agree.c) runs
genc's D phase on the batch without its update; the PyTorch twin is
bench/torch_models.py's, given the same weights by name. G's batchnorm
uses the batch's statistics in both, as in training.

Per tensor, with a the values genc gives and b PyTorch's:
  scale  max|a - b| / max|b|: the error relative to the tensor's size
  elem   max |a - b| / max(|b|, 1e-3 max|b|): the worst element, relative
         to itself, down to a floor of a thousandth of the tensor's size
and for the loss |a - b| / |b|. A tensor whose gradient is zero (the last
bias in (a), where E[D(G(z))] - E[D(x)] cancels it; every bias in (b):
the penalty of a piecewise-linear critic does not depend on them) is
measured against a thousandth of the phase's largest gradient instead.
The loss and every tensor's scale error against PyTorch in float32 must
be at most 1e-4, else the exit status is 1. elem is shown, not required:
float32 PyTorch's own elem error against float64 PyTorch exceeds 1e-4 (a
conv weight's gradient is a sum over the batch and every output position,
and its small elements are differences of large sums), so float32 cannot
be held to it. The same measures against PyTorch in float64, and float32
PyTorch's own, show whether a difference is genc's or float32's: at
trained weights, where the Wasserstein term is a difference of two
nearly equal gradients, float32 PyTorch's own scale error comes within a
factor of two of the tolerance.

The critic is piecewise linear, and its input gradient, so the penalty,
jumps where a leaky_relu's input crosses 0. A batch with a unit closer to
0 than float32 rounding (KINK) has no float32 answer to agree on: genc's
oneDNN convolutions and PyTorch's may put it on either side (seed 1 at
batch 32 has one 7e-8 from 0, and the gradients then differ by 0.5%).
Such a batch is skipped, with a line saying so, for the next seed's.

Needs PyTorch (make deps-bench), MNIST (make data) and the programs
(make bench-agree builds them and runs this). Not needed by make test.
From the repository's root:

  python3 bench/gp_agree.py [--model models/wgan_gp_mnist.g] [--checkpoint PATH]
                            [--genc build/genc] [--tool build/bench/gp_agree] [--seed 1]
"""
import argparse
import math
import os
import re
import struct
import subprocess
import sys
import tempfile
import zlib

import numpy as np
import torch
import torch.nn as nn

from torch_models import dcgan_generator, wgan_gp, wgan_gp_critic_terms
from vae_torch_train import read_idx

TOL = 1e-4
# float32 sums of the critic's size round at about 1e-8 to 1e-7 of a
# unit's value; a unit closer than this to a kink may change slopes
KINK = 1e-7
PENALTY_ONLY = 'min D: 10 * E[(norm(grad(D(xh), xh)) - 1) ^ 2]'


def run(cmd):
    """Runs a genc program; its own message, and exit, when it fails. One
    BLAS thread, as genc sets for itself: a training run may share the
    machine."""
    env = dict(os.environ, OPENBLAS_NUM_THREADS='1')
    p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if p.returncode:
        sys.exit(f"gp_agree: {' '.join(cmd)} failed:\n{p.stderr}")
    return p.stdout


def read_checkpoint(path):
    """A genc checkpoint (runtime/io/checkpoint.h): its model hash and its
    sections by name, the CRC checked."""
    with open(path, 'rb') as f:
        b = f.read()
    if b[:8] != b'GENCCKPT' or struct.unpack_from('<I', b, 8)[0] != 1:
        sys.exit(f'gp_agree: {path} is not a genc checkpoint of format version 1')
    if zlib.crc32(b[:-4]) != struct.unpack_from('<I', b, len(b) - 4)[0]:
        sys.exit(f'gp_agree: {path}: bad CRC')
    model_hash, n = struct.unpack_from('<QI', b, 12)
    sections, at = {}, 24
    for _ in range(n):
        k, = struct.unpack_from('<I', b, at)
        name = b[at + 4:at + 4 + k].decode()
        m, = struct.unpack_from('<Q', b, at + 4 + k)
        sections[name] = b[at + 12 + k:at + 12 + k + m]
        at += 12 + k + m
    return model_hash, sections


def with_hash(src, dst, model_hash):
    """A copy of checkpoint src for the model of another hash, its CRC
    made again."""
    with open(src, 'rb') as f:
        b = bytearray(f.read())
    struct.pack_into('<Q', b, 12, model_hash)
    struct.pack_into('<I', b, len(b) - 4, zlib.crc32(bytes(b[:-4])))
    with open(dst, 'wb') as f:
        f.write(b)


def read_tool_output(path):
    """gp_agree's output (bench/gp_agree.c): the parameters in the
    checkpoint's order as (path, shape, offset, has_grad), the phase's loss,
    its gradients by path."""
    with open(path, 'rb') as f:
        b = f.read()
    assert b[:8] == b'GPAGREE1', path
    n, = struct.unpack_from('<I', b, 8)
    at, params = 12, []
    for _ in range(n):
        k, = struct.unpack_from('<I', b, at)
        name = b[at + 4:at + 4 + k].decode()
        at += 4 + k
        nd, = struct.unpack_from('<I', b, at)
        shape = struct.unpack_from(f'<{nd}I', b, at + 4)
        off, has = struct.unpack_from('<QB', b, at + 4 + 4 * nd)
        at += 4 + 4 * nd + 9
        params.append((name, shape, off, has))
    loss, = struct.unpack_from('=f', b, at)
    at, grads = at + 4, {}
    for name, shape, _, has in params:
        if has:
            count = int(np.prod(shape))
            grads[name] = np.frombuffer(b, '=f4', count, at).reshape(shape)
            at += 4 * count
    assert at == len(b), path
    return params, loss, grads


def genc_names(net, prefix):
    """(genc's path, PyTorch's parameter) for a Sequential's layers: genc
    numbers each kind of layer from 1 within a net and calls a layer's
    weights w and b, batchnorm's gamma and beta."""
    kinds = {nn.Linear: 'dense', nn.Conv2d: 'conv', nn.ConvTranspose2d: 'deconv',
             nn.BatchNorm1d: 'batchnorm', nn.BatchNorm2d: 'batchnorm'}
    count = {}
    for m in net:
        kind = kinds.get(type(m))
        if kind is None:
            continue
        count[kind] = count.get(kind, 0) + 1
        names = {'weight': 'gamma', 'bias': 'beta'} if kind == 'batchnorm' else {'weight': 'w', 'bias': 'b'}
        for pname, p in m.named_parameters():
            yield f'{prefix}.{kind}{count[kind]}.{names[pname]}', p


def load(net, prefix, weights):
    """Copies genc's weights into net. Layouts must agree but for sizes of
    1 (genc keeps a conv bias as [C, 1, 1]): Linear's [out, in] is genc's
    dense weight (its matmul reads it transposed), Conv2d's [out, in, k, k]
    its conv's and ConvTranspose2d's [in, out, k, k] its deconv's."""
    used = set()
    for path, p in genc_names(net, prefix):
        w = weights[path]
        if [d for d in w.shape if d != 1] != [d for d in p.shape if d != 1]:
            sys.exit(f'gp_agree: {path} is {list(w.shape)} in genc, {list(p.shape)} in PyTorch')
        with torch.no_grad():
            p.copy_(torch.from_numpy(w.reshape(p.shape).copy()))
        used.add(path)
    left = [k for k in weights if k.startswith(prefix + '.') and k not in used]
    if left:
        sys.exit(f'gp_agree: genc parameters the PyTorch twin has no place for: {left}')


def twin(weights, dtype):
    """The twin's G (training mode: batchnorm on the batch's statistics)
    and D with genc's weights, in dtype."""
    G, D = dcgan_generator(), wgan_gp()[1]
    load(G, 'G', weights)
    load(D, 'D', weights)
    return G.to(dtype).train(), D.to(dtype)


def torch_critic(weights, x, z, eps, dtype):
    """PyTorch's critic loss and D's gradients (by genc path) for the full
    objective and the penalty alone, computed in dtype."""
    G, D = twin(weights, dtype)
    x, z, eps = (torch.from_numpy(a).to(dtype) for a in (x, z, eps))
    with torch.no_grad():
        fake = G(z)
    w, penalty = wgan_gp_critic_terms(D, x, fake, eps)
    names, params = zip(*genc_names(D, 'D'))
    out = {}
    for variant, loss in (('full', w + penalty), ('penalty', penalty)):
        # the penalty does not depend on the last layer's bias: no gradient, genc's zeros
        grads = torch.autograd.grad(loss, params, retain_graph=True, allow_unused=True)
        out[variant] = loss.item(), {n: np.zeros(weights[n].shape) if g is None else
                                     g.numpy().astype(np.float64).reshape(weights[n].shape)
                                     for n, g in zip(names, grads)}
    return out


def kink_distance(weights, x, z, eps):
    """How close to 0 any input of the critic's leaky_relus comes on the
    batch (real, generated and mixed images), in float64."""
    G, D = twin(weights, torch.float64)
    x, z, eps = (torch.from_numpy(v).double() for v in (x, z, eps))
    closest = math.inf
    with torch.no_grad():
        fake = G(z)
        e = eps.view(-1, 1, 1, 1)
        for h in (x, fake, e * x + (1 - e) * fake):
            for layer in D:
                if isinstance(layer, nn.LeakyReLU):
                    closest = min(closest, h.abs().min().item())
                h = layer(h)
    return closest


def errors(a, b, floor):
    """(scale, elem) of a against the reference b, as the docstring says;
    floor stands in for max|b| when that is smaller (an all-zero b)."""
    d, top = np.abs(a.astype(np.float64) - b), max(np.abs(b).max(), floor)
    return d.max() / top, (d / np.maximum(np.abs(b), 1e-3 * top)).max()


def compare(title, genc, t32, t64):
    """Prints the table of one variant; whether genc passes."""
    (loss, grads), (l32, g32), (l64, g64) = genc, t32, t64
    floor = 1e-3 * max(np.abs(g).max() for g in g64.values())
    rel = abs(loss - l32) / abs(l32)
    rows = [('loss', abs(l64), (rel, None), (abs(loss - l64) / abs(l64), None), (abs(l32 - l64) / abs(l64), None))]
    rows += [(name, np.abs(g64[name]).max(), errors(a, g32[name], floor), errors(a, g64[name], floor),
              errors(g32[name], g64[name], floor)) for name, a in grads.items()]
    print(f'\n{title}')
    print(f"{'':28}{'genc vs torch f32':>20}{'genc vs torch f64':>22}{'torch f32 vs f64':>21}")
    print(f"{'tensor':18}{'max|b|':>10}" + '     scale      elem ' * 2 + '     scale      elem')
    worst = 0
    for name, top, *cells in rows:
        worst = max(worst, cells[0][0])
        text = ''.join(f'{sc:10.2e}' + (f'{el:10.2e} ' if el is not None else ' ' * 11) for sc, el in cells)
        print((f'{name:18}{top:10.3g}{text}' + ('' if cells[0][0] <= TOL else ' <-- above 1e-4')).rstrip())
    print(f"worst loss or scale error against torch float32: {worst:.2e} "
          f"({'ok' if worst <= TOL else 'FAILS'}, tolerance 1e-4)")
    return worst <= TOL


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--model', default='models/wgan_gp_mnist.g')
    ap.add_argument('--checkpoint', help="the weights (default: a 3-step run's)")
    ap.add_argument('--genc', default='build/genc')
    ap.add_argument('--tool', default='build/bench/gp_agree')
    ap.add_argument('--seed', type=int, default=1, help='which images, z and eps')
    a = ap.parse_args()
    torch.set_num_threads(1)
    tmp = tempfile.TemporaryDirectory(prefix='gp_agree.')
    d = tmp.name
    ckpt = a.checkpoint
    if not ckpt:
        run([a.genc, 'run', a.model, '--steps', '3', '--threads', '1', '--quiet', '--out', f'{d}/run'])
        ckpt = f'{d}/run/checkpoint.genc'

    # (b): the model with the penalty as the critic's whole objective
    with open(a.model) as f:
        text, n = re.subn(r'^min D:.*$', PENALTY_ONLY, f.read(), flags=re.M)
    if n != 1:
        sys.exit(f"gp_agree: {a.model} has {n} lines 'min D: ...', not one")
    variant = f'{d}/penalty_only.g'
    with open(variant, 'w') as f:
        f.write(text)
    run([a.genc, 'run', variant, '--steps', '1', '--threads', '1', '--quiet', '--out', f'{d}/variant'])
    with_hash(ckpt, f'{d}/penalty_only.genc', read_checkpoint(f'{d}/variant/checkpoint.genc')[0])

    # the batch: the data and noise as `genc graph` declares them
    graph = run([a.genc, 'graph', a.model])
    B = int(re.search(r'^train batch=(\d+)', graph, re.M).group(1))
    lo, hi = (float(v) for v in re.search(r'^data x ~ mnist\(train, range: \[(\S+), (\S+)\]\)',
                                            graph, re.M).groups())
    noise = re.findall(r'^noise (\w+) ~ (\w+)\(([^)]*)\)', graph, re.M)
    if [(name, kind) for name, kind, _ in noise] != [('z', 'normal'), ('eps', 'uniform')]:
        sys.exit(f'gp_agree: expected noise z ~ normal, eps ~ uniform in {a.model}, found {noise}')
    mean, std = (float(v) for v in noise[0][2].split(','))
    low, high = (float(v) for v in noise[1][2].split(','))
    images = read_idx('data/mnist/train-images-idx3-ubyte')
    t = np.arange(256) / 255.0  # runtime/io/data.c's table, in double

    def draw(seed):
        rng = np.random.default_rng(seed)
        pick = images[rng.choice(len(images), B, replace=False)]
        x = (lo * (1 - t) + hi * t).astype(np.float32)[pick].reshape(B, 1, 28, 28)
        z = rng.normal(mean, std, (B, 100)).astype(np.float32)
        eps = rng.uniform(low, high, B).astype(np.float32)
        with open(f'{d}/inputs', 'wb') as f:
            f.write(b''.join(v.astype('<f4').tobytes() for v in (x, z, eps)))
        return x, z, eps

    # the weights, by the names and offsets the tool lists
    x, z, eps = draw(a.seed)
    run([a.tool, a.model, ckpt, f'{d}/inputs', f'{d}/out.full'])
    params = read_tool_output(f'{d}/out.full')[0]
    sections = read_checkpoint(ckpt)[1]
    slab = np.frombuffer(sections['params'], '=f4')
    weights = {name: slab[off:off + int(np.prod(shape))].reshape(shape) for name, shape, off, _ in params}

    # A batch where a unit of the critic sits at leaky_relu's kink, closer
    # than float32 rounding reaches, has two right answers: each side's
    # slope gives another input gradient and so another penalty. Such a
    # batch is passed over for the next seed's.
    seed = a.seed
    while (k := kink_distance(weights, x, z, eps)) < KINK:
        print(f'the batch of seed {seed} has a critic unit {k:.1e} from the kink of leaky_relu, '
              f'where float32 rounding can take either slope: seed {seed + 1} instead')
        seed += 1
        if seed == a.seed + 20:
            sys.exit('gp_agree: 20 batches in a row with a unit at a kink')
        x, z, eps = draw(seed)

    genc, layout = {}, {}
    for name, model, weights_file in (('full', a.model, ckpt), ('penalty', variant, f'{d}/penalty_only.genc')):
        run([a.tool, model, weights_file, f'{d}/inputs', f'{d}/out.{name}'])
        layout[name], *genc[name] = read_tool_output(f'{d}/out.{name}')
    assert layout['full'] == layout['penalty'] == params, 'the two models lay their parameters out differently'

    t32 = torch_critic(weights, x, z, eps, torch.float32)
    t64 = torch_critic(weights, x, z, eps, torch.float64)

    step, = struct.unpack_from('<Q', sections['run'])  # run.c's RunState: the step first
    print(f'{a.model}, weights of {a.checkpoint or "a genc run"} after {step} steps, batch {B} '
          f'(MNIST train images, z and eps of seed {seed})')
    ok = compare('(a) the critic\'s loss as the model writes it', genc['full'], t32['full'], t64['full'])
    ok &= compare(f'(b) the penalty alone: {PENALTY_ONLY}', genc['penalty'], t32['penalty'], t64['penalty'])
    sys.exit(0 if ok else 1)


if __name__ == '__main__':
    main()
