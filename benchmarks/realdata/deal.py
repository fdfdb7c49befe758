"""Split shared by the real-data builders: whole groups (an object, a design family) dealt to test / valid / train per class."""
import pandas as pd

def deal_groups(first:pd.Series, classes, rng, test:float=0.25, valid:float=0.15, key=None)->dict:
    "{group: 'test' | 'valid' | 'train'}: each class's groups (`first`: group -> its class) sorted by `key`, shuffled by `rng`, dealt by share"
    split = {}
    for c in classes:
        gs = sorted(first[first == c].index, key=key)
        gs = [gs[i] for i in rng.permutation(len(gs))]
        nt, nv = int(round(test * len(gs))), int(round(valid * len(gs)))
        for j, g in enumerate(gs): split[g] = 'test' if j < nt else 'valid' if j < nt + nv else 'train'
    return split
