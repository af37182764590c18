#!/usr/bin/env python3
"""I-AutoRec in PyTorch: the same model, loss, initialisation, optimiser and evaluation as
autorec-cl, to compare quality (and, roughly, speed) against. Dense on purpose: it is the plain
baseline. Needs Debian's python3-torch.

    python3 bench/torch_reference.py --train ml-100k/u1.base --test ml-100k/u1.test

Defaults match `autorec train`'s. Per-epoch lines go to stdout; the last line is JSON, with
epoch_seconds measured as `autorec bench` does (median of the epochs after the first).
bench/compare.sh runs it next to autorec and prints the ratios.
"""
import argparse
import json
import time

import torch

p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
p.add_argument('--train', required=True)
p.add_argument('--test', required=True)
p.add_argument('--hidden', type=int, default=500)
p.add_argument('--epochs', type=int, default=60)
p.add_argument('--batch', type=int, default=256)
p.add_argument('--lr', type=float, default=3e-3)
p.add_argument('--lr-decay', type=float, default=0.97)
p.add_argument('--l2', type=float, default=2e-3)
p.add_argument('--dropout', type=float, default=0.0)
p.add_argument('--seed', type=int, default=1)
p.add_argument('--threads', type=int, default=0, help='CPU threads (default: PyTorch\'s, one per core)')
a = p.parse_args()
torch.manual_seed(a.seed)
if a.threads > 0:
    torch.set_num_threads(a.threads)


def load(path):
    out = []
    for line in open(path):
        f = line.split()
        if f:
            out.append((int(f[0]), int(f[1]), float(f[2])))
    return out


train, test = load(a.train), load(a.test)
users = sorted({u for u, _, _ in train})
items = sorted({i for _, i, _ in train})
umap = {u: k for k, u in enumerate(users)}
imap = {i: k for k, i in enumerate(items)}
U, I, H = len(users), len(items), a.hidden
R = torch.zeros(I, U)  # (I, U) training ratings, 0 = unobserved
for u, i, r in train:
    R[imap[i], umap[u]] = r
T = torch.zeros(I, U)  # (I, U) scoreable test ratings
cold = []              # test ratings whose user or item has no training rating: predicted 3
for u, i, r in test:
    if u in umap and i in imap:
        T[imap[i], umap[u]] = r
    else:
        cold.append(r)

# nn.Linear's initialisation, as autorec-cl: U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
V = torch.empty(H, U).uniform_(-U ** -0.5, U ** -0.5).requires_grad_()
W = torch.empty(U, H).uniform_(-H ** -0.5, H ** -0.5).requires_grad_()
mu = torch.empty(H).uniform_(-U ** -0.5, U ** -0.5).requires_grad_()
b = torch.empty(U).uniform_(-H ** -0.5, H ** -0.5).requires_grad_()
# Adam's weight_decay is coupled L2 (added to the gradient), on W and V only.
opt = torch.optim.Adam([{'params': [V, W], 'weight_decay': a.l2},
                        {'params': [mu, b], 'weight_decay': 0.0}], lr=a.lr)
sched = torch.optim.lr_scheduler.ExponentialLR(opt, a.lr_decay)


def forward(x, train_mode):
    h = torch.sigmoid(x @ V.t() + mu)
    if train_mode and a.dropout > 0:
        h = torch.nn.functional.dropout(h, a.dropout)
    return h @ W.t() + b


best, seconds, times = float('inf'), 0.0, []
for epoch in range(1, a.epochs + 1):
    t0 = time.perf_counter()
    perm = torch.randperm(I)
    for s in range(0, I, a.batch):
        x = R[perm[s:s + a.batch]]
        m = x != 0
        loss = ((forward(x, True) - x)[m] ** 2).sum() / m.sum()  # masked MSE
        opt.zero_grad()
        loss.backward()
        opt.step()
    sched.step()
    times.append(time.perf_counter() - t0)
    seconds += times[-1]
    with torch.no_grad():
        y = forward(R, False).clamp(1, 5)
        mt, mr = T != 0, R != 0
        sse = ((y - T)[mt] ** 2).sum().item() + sum((3 - r) ** 2 for r in cold)
        test_rmse = (sse / (mt.sum().item() + len(cold))) ** 0.5
        train_rmse = (((y - R)[mr] ** 2).mean().item()) ** 0.5
    best = min(best, test_rmse)
    print(f'epoch {epoch} train RMSE {train_rmse:.4f} test RMSE {test_rmse:.4f}', flush=True)
# As `autorec bench`: the first epoch is a warm-up, the epoch time is the median of the rest.
timed = sorted(times[1:]) or times
n = len(timed)
median = timed[n // 2] if n % 2 else 0.5 * (timed[n // 2 - 1] + timed[n // 2])
print(json.dumps({'implementation': 'pytorch ' + torch.__version__, 'threads': torch.get_num_threads(),
                  'test_rmse': test_rmse, 'train_rmse': train_rmse, 'best_test_rmse': best,
                  'epochs': a.epochs, 'seconds': seconds, 'epoch_seconds_mean': seconds / a.epochs,
                  'epoch_seconds': median, 'train_ratings': len(train)}))
