"""Post hoc, on one finished run: the network alone, its pixel vote and a 10-NN vote in its penultimate features
(the unit-length, centred input of its last nn.Linear), alone and blended at weights chosen on the valid rows.

    python benchmarks/realdata/posthoc_votes.py /work/data/runs/emoji_sizes/simple_cnn-* /work/data/emoji_sizes

Prints validation and test accuracy of each; used for the fifth-stop table of README.md (the feature vote's fade)."""
import sys, time, numpy as np, pandas as pd, torch, torch.nn.functional as F
from pathlib import Path
from torch import nn
from image_classification.runs import load_run
from image_classification.inference import inference_dls, inference_dl
from image_classification.neighbours import knn_probs, thumbs, vote_of, choose_weight, blend, Neighbours
from image_classification.data import read_table

run_dir, data = Path(sys.argv[1]), Path(sys.argv[2])
run = load_run(run_dir); m = run.model.eval()
for k in [k for k, h in m._forward_hooks.items() if isinstance(h, Neighbours)]: del m._forward_hooks[k]
lin = [x for x in m.modules() if isinstance(x, nn.Linear)][-1]
tr = read_table(data/'train.csv'); te = read_table(data/'test.csv')
classes = run.meta['classes']; o2i = {c: i for i, c in enumerate(classes)}
size = run.meta.get('size') or run.meta['sizes'][-1]
def feats(table):
    dls = inference_dls(run.meta, table, bs=256, num_workers=0)
    dl = inference_dl(dls, table, bs=256)
    F_, L_, T_ = [], [], []
    h = lin.register_forward_pre_hook(lambda mod, a: F_.append(a[0].detach().float().cpu()))
    with torch.no_grad():
        for b in dl:
            x = b[0]; L_.append(m(x).float().cpu()); T_.append(thumbs(x, size).cpu())
    h.remove()
    return torch.cat(F_), torch.cat(L_).softmax(-1).numpy(), torch.cat(T_)
t0 = time.time()
fa, pa, ta = feats(tr); fe, pe, tt = feats(te)
print(f'features {fa.shape[1]}-d in {time.time()-t0:.0f}s')
sp = tr['split'].to_numpy(); ya = np.array([o2i[l] for l in tr['label']]); ye = np.array([o2i[l] for l in te['label']])
trn, val = sp == 'train', sp == 'valid'
acc = lambda p, y: float((p.argmax(1) == y).mean())
print(f'network: valid {acc(pa[val], ya[val]):.4f} test {acc(pe, ye):.4f}')
def norm(f): f = f - fa[trn].mean(0); return f / (f.norm(dim=1, keepdim=True) + 1e-6)
lab = torch.tensor(ya[trn])
for name, bank, qv, qt in [('pixels', ta[trn], ta[val], tt), ('features', norm(fa)[trn], norm(fa)[val], norm(fe))]:
    for tau in ([0.02] if name == 'pixels' else [0.01, 0.02, 0.05, 0.1, 0.2]):
        kp = lambda q: np.concatenate([knn_probs(q[i:i+1024], bank, F.one_hot(lab, len(classes)).float(), 10, tau).numpy() for i in range(0, len(q), 1024)])
        vv, vt = kp(qv), kp(qt)
        w = choose_weight(pa[val], vv, ya[val])
        print(f'{name} tau {tau}: vote alone valid {acc(vv, ya[val]):.4f} test {acc(vt, ye):.4f}; weight {w} blend valid '
              f'{acc(blend(pa[val], vv, w), ya[val]):.4f} test {acc(blend(pe, vt, w), ye):.4f}', flush=True)
        if name == 'pixels': pv, pt = vv, vt
        else:
            best = max(((w1, w2) for w1 in np.arange(0, 1.01, .1) for w2 in np.arange(0, 1.01 - w1, .1)),
                       key=lambda w: acc((1-w[0]-w[1])*pa[val] + w[0]*pv + w[1]*vv, ya[val]))
            w1, w2 = best
            print(f'   three-way (pix {w1:.1f}, feat {w2:.1f}): valid {acc((1-w1-w2)*pa[val] + w1*pv + w2*vv, ya[val]):.4f} '
                  f'test {acc((1-w1-w2)*pe + w1*pt + w2*vt, ye):.4f}')
