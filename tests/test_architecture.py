"""The package's structure, checked on its source: imports run one way (no cycle, nothing but `cli` and `all` imports the
command line, no package import hidden inside a function outside `cli`), and no function is longer than 50 lines.
`lint-imports` (the layers contract in pyproject.toml) checks the order of the layers; this checks what it does not."""
import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parent.parent/'image_classification'
MODULES = sorted(p.stem for p in PKG.glob('*.py') if not p.stem.startswith('_'))


def _imports(tree:ast.Module, modules=None)->list[tuple[str, int, bool]]:
    "(imported package module, line, inside a function) of every import of the package in `tree`"
    modules = MODULES if modules is None else modules
    found = []
    def visit(node, in_def):
        for child in ast.iter_child_nodes(node):
            inner = in_def or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, ast.ImportFrom):
                mod = child.module or ''
                if child.level == 1: names = [mod] if mod else [a.name for a in child.names]
                elif mod == 'image_classification': names = [a.name for a in child.names]
                elif mod.startswith('image_classification.'): names = [mod.split('.')[1]]
                else: names = []
                found.extend((n.split('.')[0], child.lineno, in_def) for n in names if n.split('.')[0] in modules)
            elif isinstance(child, ast.Import):
                found.extend((a.name.split('.')[1], child.lineno, in_def) for a in child.names
                             if a.name.startswith('image_classification.') and a.name.split('.')[1] in modules)
            visit(child, inner)
    visit(tree, False)
    return found


def _graph()->dict:
    return {m: {n for n, _, _ in _imports(ast.parse((PKG/f'{m}.py').read_text()))} - {m} for m in MODULES}


def test_every_module_found():
    assert {'core', 'data', 'loaders', 'config', 'recipe', 'train', 'ensemble', 'inference', 'predict', 'cli'} <= set(MODULES), MODULES


def _cycles(graph:dict)->list[list[str]]:
    "Depth-first search of the import graph: each back edge closes a cycle"
    state, cycles = {}, []
    def dfs(m, path):
        state[m] = 'open'
        for n in sorted(graph[m]):
            if state.get(n) == 'open': cycles.append(path[path.index(n):] + [n])
            elif n not in state: dfs(n, path + [n])
        state[m] = 'done'
    for m in sorted(graph):
        if m not in state: dfs(m, [m])
    return cycles


def test_no_import_cycle():
    cycles = _cycles(_graph())
    assert not cycles, f"import cycles: {cycles}"


def test_only_cli_and_all_import_the_command_line():
    users = [m for m, deps in _graph().items() if 'cli' in deps and m not in ('cli', 'all')]
    assert not users, f"library modules that import the command line: {users}"


def test_no_package_import_inside_a_function():
    "Lazy imports of the package's own modules are for the command line's start-up time only"
    hidden = [(m, n, line) for m in MODULES if m != 'cli'
              for n, line, in_def in _imports(ast.parse((PKG/f'{m}.py').read_text())) if in_def]
    assert not hidden, f"function-level imports of package modules (module, imported, line): {hidden}"


@pytest.mark.parametrize('module', MODULES)
def test_no_function_over_50_lines(module):
    long = _long(ast.parse((PKG/f'{module}.py').read_text()))
    assert not long, f"{module}: functions over 50 lines: {long}"


def _long(tree)->list:
    return [(n.name, n.end_lineno - n.lineno + 1) for n in ast.walk(tree)
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.end_lineno - n.lineno + 1 > 50]


def test_the_checks_can_fail():
    "The detectors find what they look for: a cycle, a hidden import, a long function"
    assert _cycles({'a': {'b'}, 'b': {'c'}, 'c': {'a'}, 'd': set()}) == [['a', 'b', 'c', 'a']]
    src = "from .b import x\nimport image_classification.c\ndef f():\n    from .c import y\n" + ''.join(f"    z{i} = {i}\n" for i in range(60))
    assert [(n, d) for n, _, d in _imports(ast.parse(src), ['a', 'b', 'c'])] == [('b', False), ('c', False), ('c', True)]
    assert [n for n, _ in _long(ast.parse(src))] == ['f']
