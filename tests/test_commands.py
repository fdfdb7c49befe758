"""Every `imgclf` subcommand beyond what tests/test_cli.py runs: each option documented, config files (YAML and JSON)
round-tripping with flags winning, user errors as one line with exit 2 across subcommands, the variants test_cli.py
leaves out (k-fold sources, TTA, hard voting, --full, --test, --threshold) and the commands added later (recheck,
pseudo, auto, export, bench) end to end in a subprocess.

Starting `imgclf` costs 5-10 s of imports, so one tiny experiment and one tiny k-fold folder are trained once, in
this process, and shared; the variants and the error matrix call `cli.main(argv)` in this process (the same parsing,
config handling and error path as the console script, without the start-up); the config round trip and the new
commands run as real subprocesses."""
import argparse, json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from conftest import imgclf
from image_classification.cli import _COMMANDS, build_parser, main
from image_classification.data import read_table, split_table
from image_classification.datasets import make_tiny

RECIPE = dict(arch='simple_cnn', pretrained=False, channels=3, sizes=[32], epochs=[1], bs=8, lr=3e-3, aug='none', num_workers=0)
FLAGS = ['--arch', 'simple_cnn', '--no-pretrained', '--channels', '3', '--sizes', '32', '--epochs', '1', '--bs', '8', '--lr', '0.003', '--aug', 'none']
NO_LR = FLAGS[:11] + FLAGS[13:]  # for `imgclf grid`, which sets the learning rate itself


def run_main(capsys, *args):
    "`imgclf ARGS` in this process: (exit code, stdout, stderr)"
    try: code = main([str(a) for a in args])
    except SystemExit as e: code = e.code
    cap = capsys.readouterr()
    return code, cap.out, cap.err


@pytest.fixture(scope='module')
def data(tmp_path_factory):
    "make_tiny: 3 classes x 8 labelled RGB images, 2 x 3 held-back test images in <root>_test"
    root = make_tiny(tmp_path_factory.mktemp('data')/'tiny', n_per_class=8, test_per_class=2)
    return root, Path(f'{root}_test')


@pytest.fixture(scope='module')
def exp(data, tmp_path_factory):
    "An experiment of two one-epoch runs on the split `imgclf train` makes (stratified, seed 42)"
    from image_classification.config import TrainConfig
    from image_classification.train import train
    table = split_table(read_table(data[0]), 'stratified', valid_pct=0.2, seed=42)
    out = tmp_path_factory.mktemp('exp')/'exp'
    runs = [train(TrainConfig(**RECIPE, seed=seed), table, out=out, name=f'cnn{seed}', quiet=True) for seed in (42, 1)]
    return out, [r.folder for r in runs]


@pytest.fixture(scope='module')
def kf(data, tmp_path_factory):
    "A 2-fold k-fold folder"
    from image_classification.kfold import kfold
    from image_classification.config import TrainConfig
    out = tmp_path_factory.mktemp('kf')/'kf'
    kfold(TrainConfig(**RECIPE), read_table(data[0]), k=2, out=out, quiet=True)
    return out


# --- every option documented ---

EXPECTED = ['demo', 'validate', 'train', 'auto', 'kfold', 'grid', 'augment', 'ensemble', 'recheck', 'pseudo', 'predict', 'interpret', 'report', 'export', 'app', 'bench']

def test_every_command_is_there():
    "A command that disappears or is renamed fails here, not in a skip"
    assert list(_COMMANDS) == EXPECTED
    _, subs = build_parser()
    assert list(subs) == EXPECTED


@pytest.mark.parametrize('name', EXPECTED)
def test_every_option_has_help(name):
    "`imgclf NAME --help` describes the command and lists every option with a help string"
    _, subs = build_parser(only=name)
    p = subs[name]
    text = p.format_help()
    assert p.description and p.description.strip(), name
    actions = [a for a in p._actions if not isinstance(a, argparse._HelpAction)]
    assert {'--config', '--quiet', '--debug'} <= {s for a in actions for s in a.option_strings}, name
    for a in actions:
        what = f"imgclf {name} {'/'.join(a.option_strings) or a.dest}"
        assert a.help and a.help.strip() and a.help != argparse.SUPPRESS, f"{what} has no help string"
        for s in a.option_strings or [a.metavar or a.dest]: assert s in text, f"{what} is not in --help"
    if name in ('train', 'kfold', 'pseudo', 'recheck'):  # every TrainConfig option, under its own name (grid sets lr and wd itself)
        from image_classification.config import option_fields
        assert {'--' + o['name'].replace('_', '-') for o in option_fields()} <= {s for a in actions for s in a.option_strings}, name


# --- config files ---

def test_config_yaml_and_json_round_trip(data, tmp_path):
    "A YAML config runs and its values land in the run's config.yaml; that file, as JSON, runs again; flags win"
    root = data[0]
    conf = dict(arch='simple_cnn', pretrained=False, channels=3, sizes=[32], epochs=[1], bs=8, lr=0.003, aug='none', seed=7,
                head_dropout=0.25)
    (tmp_path/'cfg.yaml').write_text(yaml.safe_dump(conf))
    code, out, err = imgclf('train', root, '--config', tmp_path/'cfg.yaml', '--out', tmp_path/'yaml', '--quiet')
    assert code == 0, out + err
    run = Path(out.split('run: ')[1].split()[0])
    saved = yaml.safe_load((run/'config.yaml').read_text())
    want = dict(arch='simple_cnn', pretrained=False, channels=3, sizes=[32], epochs=[1], bs=8, lr=0.003, aug='none',
                seed=7, head_dropout=0.25)
    assert {k: saved[k] for k in want} == want, saved
    assert json.loads((run/'model.json').read_text())['config']['head_dropout'] == 0.25
    # the saved recipe as a JSON config file: it runs again, and the flags given win over it
    (tmp_path/'cfg.json').write_text(json.dumps({k: v for k, v in saved.items() if k != 'auto'}))
    code, out, err = imgclf('train', root, '--config', tmp_path/'cfg.json', '--bs', '4', '--full', '--out', tmp_path/'json', '--quiet')
    assert code == 0, out + err
    run2 = Path(out.split('run: ')[1].split()[0])
    again = yaml.safe_load((run2/'config.yaml').read_text())
    assert {k: again[k] for k in want} == {**want, 'bs': 4}, again
    meta = json.loads((run2/'model.json').read_text())
    assert meta['full_train'] and meta['metrics'] == {} and not (run2/'valid_probs.npy').exists()
    assert 'no validation score' in out


def test_split_seed_keeps_one_experiment(data, tmp_path, capsys):
    "Runs that differ only in training seed share one split (--split-seed) and so one experiment folder"
    for seed in (1, 2):
        code, out, err = run_main(capsys, 'train', data[0], *FLAGS, '--seed', seed, '--split-seed', 0, '--out', tmp_path/'exp', '--quiet')
        assert code == 0, out + err
    runs = pd.read_csv(tmp_path/'exp'/'results.csv')
    assert len(runs) == 2
    assert sorted(yaml.safe_load((tmp_path/'exp'/r/'config.yaml').read_text())['seed'] for r in runs['run_id']) == [1, 2]
    # without --split-seed, another seed is another split: the experiment folder refuses it
    code, out, err = run_main(capsys, 'train', data[0], *FLAGS, '--seed', 3, '--out', tmp_path/'exp', '--quiet')
    assert code == 2 and 'another table or split' in out + err


def test_flags_win_over_a_saved_config(data, tmp_path, capsys):
    "A config saved by TrainConfig.save (the flags' names) or by an older version (stage_sizes/stage_epochs) runs; --sizes and --epochs win"
    from image_classification.config import TrainConfig
    TrainConfig(**RECIPE).save(tmp_path/'cfg.json')
    code, out, err = run_main(capsys, 'train', data[0], '--config', tmp_path/'cfg.json', '--sizes', '24', '--epochs', '2',
                              '--out', tmp_path/'runs', '--quiet')
    assert code == 0, out + err
    saved = yaml.safe_load((Path(out.split('run: ')[1].split()[0])/'config.yaml').read_text())
    assert (saved['sizes'], saved['epochs']) == ([24], [2]), saved
    old = {('stage_' + k if k in ('sizes', 'epochs') else k): v for k, v in RECIPE.items()}  # a config.yaml of an older version
    (tmp_path/'old.yaml').write_text(yaml.safe_dump(old))
    code, out, err = run_main(capsys, 'train', data[0], '--config', tmp_path/'old.yaml', '--epochs', '2', '--out', tmp_path/'runs', '--quiet')
    assert code == 0, out + err
    saved = yaml.safe_load((Path(out.split('run: ')[1].split()[0])/'config.yaml').read_text())
    assert (saved['sizes'], saved['epochs']) == ([32], [2]), saved


def test_ensemble_from_config_file(exp, tmp_path, capsys):
    "`imgclf ensemble --config`: method, folds and threshold from the file; a flag given wins"
    folder, runs = exp
    (tmp_path/'ens.yaml').write_text(yaml.safe_dump(dict(method='hard', folds=2, threshold=1.0)))
    code, out, err = run_main(capsys, 'ensemble', folder, '--config', tmp_path/'ens.yaml')
    assert code == 0, out + err
    spec = json.loads((folder/'ensemble.json').read_text())
    assert (spec['method'], spec['threshold'], spec['n_splits']) == ('hard', 1.0, 2)
    assert sum(m['selected'] for m in spec['members']) == 1  # above every accuracy: only the best of the one architecture
    code, out, err = run_main(capsys, 'ensemble', folder, '--config', tmp_path/'ens.yaml', '--method', 'equal', '--runs', runs[1].name)
    assert code == 0, out + err
    spec = json.loads((folder/'ensemble.json').read_text())
    assert spec['method'] == 'equal' and [m['run_id'] for m in spec['members']] == [runs[1].name]


# --- user errors: exit 2 and one line naming the problem ---

def _bad_config(tmp_path, name, conf):
    (tmp_path/f'{name}.yaml').write_text(yaml.safe_dump(conf))
    return tmp_path/f'{name}.yaml'

def _error_cases(tmp_path, data, exp):
    root, test = data
    folder, runs = exp
    gone = tmp_path/'nowhere'
    cases = [  # (args, text the one line must hold)
        (['validate', root, '--config', _bad_config(tmp_path, 'v', {'splt': 'random'})], "'splt'"),
        (['train', root, '--config', _bad_config(tmp_path, 't', {'learning_rate': 0.1})], "'learning_rate'"),
        (['kfold', root, '--config', _bad_config(tmp_path, 'k', {'folds': 3})], "'folds'"),
        (['ensemble', folder, '--config', _bad_config(tmp_path, 'e', {'metod': 'hard'})], "'metod'"),
        (['predict', folder, test, '--config', _bad_config(tmp_path, 'p', {'tta_views': 2})], "'tta_views'"),
        (['interpret', folder, '--config', _bad_config(tmp_path, 'i', {'topk': 3})], "'topk'"),
        (['report', folder, '--config', _bad_config(tmp_path, 'r', {'ood_set': 'x'})], "'ood_set'"),
        (['demo', '--config', _bad_config(tmp_path, 'd', {'quik': True})], "'quik'"),
        (['train', root, '--config', tmp_path/'missing.yaml'], 'missing.yaml'),
        (['train', gone, *FLAGS], 'nowhere'),
        (['kfold', gone, *FLAGS, '--k', '2'], 'nowhere'),
        (['ensemble', gone], 'nowhere'),
        (['predict', gone, test], 'nowhere'),
        (['predict', folder, gone], 'nowhere'),
        (['interpret', gone], 'nowhere'),
        (['report', gone], 'nowhere'),
        (['kfold', root, *FLAGS, '--arch', 'resnet43', '--k', '2', '--out', tmp_path/'kf43'], 'resnet43'),
        (['train', root, '--config', _bad_config(tmp_path, 'a', dict(RECIPE, arch='resnet43')), '--out', tmp_path/'t43'], 'resnet43'),
    ]
    cases += [
        (['recheck', runs[0], '--config', _bad_config(tmp_path, 'rc', {'pair': 2})], "'pair'"),
        (['recheck', gone], 'nowhere')]
    cases += [
        (['pseudo', root, '--source', runs[0], '--test', test, '--config', _bad_config(tmp_path, 'ps', {'treshold': 0.9})], "'treshold'"),
        (['pseudo', root, '--source', gone, '--test', test, *FLAGS], 'nowhere'),
        (['pseudo', root, '--source', runs[0], '--test', gone, *FLAGS], 'nowhere')]
    cases += [
        (['export', runs[0], '--config', _bad_config(tmp_path, 'ex', {'opst': 17})], "'opst'")]
    cases += [
        (['bench', '--config', _bad_config(tmp_path, 'be', {'repz': 3})], "'repz'")]
    cases += [
        (['grid', root, '--config', _bad_config(tmp_path, 'gr', {'lrz': [0.1]}), '--lrs', '0.1'], "'lrz'"),
        (['grid', gone, *NO_LR, '--lrs', '0.1'], 'nowhere'),
        (['grid', root, '--arch', 'resnet43', '--lrs', '0.1'], 'resnet43'),
        (['augment', gone, '--out', tmp_path/'aug'], 'nowhere'),
        (['augment', root, '--aug', 'heavy', '--out', tmp_path/'aug'], "unknown augmentation preset 'heavy'"),
        (['augment', root, '--copies', '0', '--out', tmp_path/'aug0'], 'copies must be 1 or more'),
        (['train', root, *FLAGS, '--scheduler', 'cosine', '--pct-start', '0.2', '--out', tmp_path/'sch'], "pct_start does not apply to scheduler 'cosine'"),
        (['train', root, *FLAGS, '--drop-path', '0.1', '--out', tmp_path/'dp'], 'simple_cnn has no stochastic depth'),
        (['train', root, *FLAGS, '--arch', 'test_vit', '--sizes', '40', '--out', tmp_path/'vit'], 'test_vit runs at 160 px'),
        (['auto', root, '--config', _bad_config(tmp_path, 'au', {'budjet': '1m'})], "'budjet'"),
        (['auto', gone, '--budget', '5s'], 'nowhere')]
    return cases

def test_user_errors_are_one_line(data, exp, tmp_path, capsys):
    "A bad config key, a missing path and an unknown architecture: exit 2, no traceback, one line naming it"
    for args, text in _error_cases(tmp_path, data, exp):
        code, out, err = run_main(capsys, *args)
        lines = err.strip().splitlines()
        assert code == 2, (args, out, err)
        assert len(lines) == 1 and 'Traceback' not in err, (args, err)
        assert text in lines[0] and lines[0].startswith(f'imgclf {args[0]}: error:'), (args, err)


# --- variants test_cli.py does not run ---

def test_training_knobs_reach_the_run(data, tmp_path, capsys):
    "The schedule, loss, freezing and dropout flags (--dropout for --head-dropout) land in config.yaml and model.json"
    knobs = ['--scheduler', 'flat_cos', '--pct-start', '0.5', '--loss', 'focal', '--focal-gamma', '1.5', '--freeze-to', '2',
             '--unfreeze', 'gradual', '--dropout', '0.2']
    code, out, err = run_main(capsys, 'train', data[0], *FLAGS, *knobs, '--out', tmp_path/'knobs', '--quiet')
    assert code == 0, out + err
    run = Path(out.split('run: ')[1].split()[0])
    want = dict(scheduler='flat_cos', pct_start=0.5, loss='focal', focal_gamma=1.5, freeze_to=2, unfreeze='gradual', head_dropout=0.2)
    saved, meta = yaml.safe_load((run/'config.yaml').read_text()), json.loads((run/'model.json').read_text())['config']
    assert {k: saved[k] for k in want} == want == {k: meta[k] for k in want}, (saved, meta)


def test_fixed_size_model_trains_at_other_sizes(data, tmp_path):
    "A fixed-size timm model with progressive resizing trains (built at 64 px, resampled to 96) or exits 2 with one line"
    code, out, err = imgclf('train', data[0], '--arch', 'swin_tiny_patch4_window7_224', '--no-pretrained', '--sizes', '64,96',
                            '--epochs', '1,1', '--bs', '8', '--lr', '1e-3', '--aug', 'none', '--out', tmp_path/'swin', '--quiet')
    assert code == 0, out + err
    assert 'Traceback' not in err
    meta = json.loads((Path(out.split('run: ')[1].split()[0])/'model.json').read_text())
    assert meta['sizes'] == [64, 96] and meta['size'] in (64, 96)
    code, out, err = imgclf('train', data[0], '--arch', 'coatnet_0_rw_224', '--no-pretrained', '--sizes', '100', '--out', tmp_path/'coat')
    assert code == 2 and len(err.strip().splitlines()) == 1 and 'use --sizes 224' in err and 'Traceback' not in err, err


def test_grid_and_augment(data, tmp_path, capsys):
    "imgclf grid: one run per point and grid.csv; imgclf augment: copies in their originals' groups, a table train reads"
    code, out, err = run_main(capsys, 'grid', data[0], *NO_LR, '--lrs', '0.001,0.01', '--wds', '0,0.1',
                              '--out', tmp_path/'grid', '--quiet')
    assert code == 0, out + err
    grid = pd.read_csv(tmp_path/'grid'/'grid.csv')
    assert len(grid) == 4 and set(grid.lr) == {0.001, 0.01} and set(grid.wd) == {0.0, 0.1} and grid.accuracy.is_monotonic_decreasing
    assert len(pd.read_csv(tmp_path/'grid'/'results.csv')) == 4
    code, out, err = run_main(capsys, 'augment', data[0], '--copies', '2', '--out', tmp_path/'aug', '--quiet')
    assert code == 0, out + err
    table = pd.read_csv(tmp_path/'aug'/'data.csv')
    copies = table[table.augmented_from.notna()]
    assert len(copies) == 2 * (table.augmented_from.isna() & (table.split == 'train')).sum() > 0
    assert set(copies.split) == {'train'} and 'copies across the split: 0' in out
    of = dict(zip(table.path, table.group))
    assert all(of[o] == g for o, g in zip(copies.augmented_from, copies.group))  # each copy in its original's group
    assert all((tmp_path/'aug'/p).is_file() for p in copies.path)
    code, out, err = run_main(capsys, 'train', tmp_path/'aug'/'data.csv', *FLAGS, '--out', tmp_path/'aug_runs', '--quiet')
    assert code == 0, out + err
    assert len(pd.read_csv(tmp_path/'aug_runs'/'data.csv').query("split == 'valid'").augmented_from.dropna()) == 0


def test_validate_unlabelled_test_folder(data, capsys):
    code, out, err = run_main(capsys, 'validate', data[1], '--test', '--quiet')
    assert code == 0, out + err
    assert '6 images, unlabelled: OK' in out


def test_predict_kfold_with_tta_and_hard_vote(data, kf, tmp_path, capsys):
    "A k-fold folder predicts: its 2 fold models vote (hard), each with TTA; rows keep the test folder's order"
    code, out, err = run_main(capsys, 'predict', kf, data[1], '--tta', '--vote', 'hard', '--topk', '2', '--out', tmp_path/'sub.csv', '--quiet')
    assert code == 0, out + err
    sub = pd.read_csv(tmp_path/'sub.csv')
    assert [Path(p).name for p in sub.image_path] == sorted(p.name for p in data[1].glob('*.png'))
    assert set(sub.prob_1) <= {0.5, 1.0} and (sub.prob_1 >= sub.prob_2).all()  # vote shares of two voters
    assert (sub.prob_1 + sub.prob_2 <= 1.0 + 1e-6).all()


def test_predict_tta_views(data, kf, tmp_path, capsys):
    "--tta-aug picks the TTA views by preset name; an unknown name is a one-line error naming the choices"
    code, out, err = run_main(capsys, 'predict', kf, data[1], '--tta', '--tta-aug', 'shift', '--out', tmp_path/'sub.csv', '--quiet')
    assert code == 0, out + err
    assert len(pd.read_csv(tmp_path/'sub.csv')) == 6
    code, out, err = run_main(capsys, 'predict', kf, data[1], '--tta', '--tta-aug', 'mirror', '--out', tmp_path/'x.csv', '--quiet')
    assert code == 2 and "unknown tta_aug 'mirror'" in out + err and 'shift' in out + err
    assert not (tmp_path/'x.csv').exists()


def test_interpret_and_report_kfold(kf, capsys):
    "interpret and report read a k-fold folder's out-of-fold probabilities: every one of its 24 rows"
    code, out, err = run_main(capsys, 'interpret', kf, '--k', '4')
    assert code == 0, out + err
    summary = json.loads((kf/'interpret'/'summary.json').read_text())
    assert summary['kind'] == 'k-fold' and summary['rows'] == 24
    assert len(pd.read_csv(kf/'interpret'/'top_losses.csv')) == 24
    assert (kf/'interpret'/'confusion_matrix.png').stat().st_size > 0
    code, out, err = run_main(capsys, 'report', kf)
    assert code == 0, out + err
    md = (kf/'report'/'REPORT.md').read_text()
    assert 'out-of-fold' in md and (kf/'report'/'report.html').stat().st_size > 0


# --- the commands added later, in a subprocess ---

def _saved_options(folder:Path, command:str)->dict:
    "The `<command>_config.yaml` a command leaves in its output folder"
    path = Path(folder)/f'{command}_config.yaml'
    assert path.is_file(), f"{command} did not save its options as {path.name}"
    d = yaml.safe_load(path.read_text())
    assert not {'config', 'quiet', 'debug'} & set(d), d
    return d


def test_recheck(exp, tmp_path):
    "A binary specialist for the most confused pair of a run's validation predictions; before/after scores saved"
    run = exp[1][0]
    assert json.loads((run/'model.json').read_text())['metrics']['accuracy'] < 1  # something to re-check
    code, out, err = imgclf('recheck', run, '--pairs', '1', '--out', tmp_path/'rc', '--quiet')
    assert code == 0, out + err
    info = json.loads((tmp_path/'rc'/'recheck.json').read_text())
    assert info['mode'] == 'validation' and len(info['pairs']) == 1 and info['n_rows'] == 5
    assert len(pd.read_csv(tmp_path/'rc'/'recheck.csv')) == 5
    assert _saved_options(tmp_path/'rc', 'recheck')['pairs'] == 1


def test_pseudo(data, exp, tmp_path):
    "Confident test images join training as pseudo rows; the validation accuracy before and after is saved"
    root, test = data
    code, out, err = imgclf('pseudo', root, '--source', exp[1][0], '--test', test, '--threshold', '0.3', *FLAGS,
                            '--out', tmp_path/'ps', '--quiet')
    assert code == 0, out + err
    info = json.loads((tmp_path/'ps'/'pseudo.json').read_text())
    assert info['n_test'] == 6 and info['n_added'] == 6 == len(pd.read_csv(tmp_path/'ps'/'pseudo_rows.csv'))  # every top probability is >= 1/3
    assert {'accuracy_before', 'accuracy_after'} <= set(info)
    assert _saved_options(tmp_path/'ps', 'pseudo')['threshold'] == 0.3


def test_auto(tmp_path):
    "A portfolio of recipes chosen from the data within a small budget, ensembled; predictions of a test folder"
    root = make_tiny(tmp_path/'tiny16', n_per_class=16, test_per_class=2)  # more training images than one batch
    test = Path(f'{root}_test')
    code, out, err = imgclf('auto', root, '--budget', '15s', '--members', '2', '--test', test, '--out', tmp_path/'auto', '--quiet')
    assert code == 0, out + err
    info = json.loads((tmp_path/'auto'/'auto.json').read_text())
    assert len(info['members']) >= 1 and (tmp_path/'auto'/'auto.csv').is_file()
    assert len(pd.read_csv(tmp_path/'auto'/'submission.csv')) == 6
    assert _saved_options(tmp_path/'auto', 'auto')['budget'] == '15s'


def test_export_ensemble_and_kfold(exp, kf, tmp_path, capsys):
    "An experiment's ensemble exports as one ONNX graph (in a subprocess), a k-fold folder as its fold models' graph"
    folder, runs = exp
    code, out, err = run_main(capsys, 'ensemble', folder, '--method', 'weighted', '--folds', '2')
    assert code == 0, out + err
    code, out, err = imgclf('export', folder, '--out', tmp_path/'ens'/'ensemble.onnx')
    assert code == 0, out + err
    assert (tmp_path/'ens'/'ensemble.onnx').stat().st_size > 0
    assert '2 member(s), 3 classes' in out and 'ONNX Runtime matches PyTorch within' in out, out
    assert _saved_options(tmp_path/'ens', 'export')['source'] == str(folder)
    code, out, err = run_main(capsys, 'export', kf, '--out', tmp_path/'kf'/'kfold.onnx')
    assert code == 0, out + err
    assert '2 member(s), 3 classes' in out and (tmp_path/'kf'/'kfold.onnx').stat().st_size > 0, out
