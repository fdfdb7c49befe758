"""Build the docs site offline: nbdev's own notebook processing, then mkdocs-material + mkdocs-jupyter.

    python tools/docs.py [--out _site] [--workers 2]

1. `nbdev.serve.proc_nbs` processes every notebook in nbs/ into _proc/ exactly as `nbdev-docs` does before it
   hands them to Quarto: show_doc signatures with their docments rendered as markdown, `#| hide` cells and export
   directives removed, the cells that define the API executed. Any error there (a NameError in a cell with imports,
   say) fails the build. Where Quarto exists, `nbdev-docs` renders the same _proc/ folder into _docs/.
2. Quarto is in no registry an offline machine reaches, so the processed notebooks become pages of a static site:
   the front matter becomes the page title, Quarto's cell options (`echo: false`, `output: asis`, `output: false`)
   are applied, nbdev's absolute doc links become relative ones, and mkdocs-material with mkdocs-jupyter builds
   _site/ (navigation: Home from README/index, one page per module in notebook order, Tutorials; search).
   The tutorials show the outputs they were committed with; the module notebooks in `EXECUTE` (seconds each: the
   pages whose figures explain a behaviour) are run in a real kernel, as `nbdev-test` runs them, and their pages
   get those outputs. `--execute` names others (`--execute` alone: none).
"""
import argparse, json, os, re, shutil, subprocess, sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
EXECUTE = ('20_augment', '60_interpret')  # augmentation views; confusion matrix, top losses, reliability, OOD
_ATTRS = re.compile(r'(\]\([^)\s]*\))\{[^}]*\}')  # pandoc link attributes: [source](url){target="_blank" ...}
_MD_LINK = re.compile(r'(\]\()([^)\s#]+)((?:#[^)\s]*)?\))')


def process_notebooks(n_workers:int=2, force:bool=False)->Path:
    "nbdev's doc processing of every notebook into _proc/ (what `nbdev-proc-nbs` does, without installing Quarto)"
    from nbdev.config import get_config
    from nbdev.serve import proc_nbs
    cfg = get_config(ROOT)
    os.chdir(cfg.config_path)  # nbdev's workers read the config from the working directory, as nbdev-docs arranges
    return proc_nbs(str(cfg.nbs_path), n_workers=n_workers, force=force)


def directives(src:str)->tuple[dict, str]:
    "Quarto/nbdev cell options (`#| key: value` lines at the top) and the source without them"
    lines, opts = src.splitlines(), {}
    while lines and lines[0].startswith('#|'):
        k, _, v = lines.pop(0)[2:].strip().partition(':')
        opts[k.strip()] = v.strip()
    return opts, '\n'.join(lines)


def execute_notebook(src:Path, flags:set, timeout:int=900)->dict:
    "Run `src` in a fresh kernel as `nbdev-test` does (from its folder, cells flagged slow/gpu/notest skipped); cell id -> outputs"
    import nbformat
    from nbclient import NotebookClient
    nb = nbformat.read(src, as_version=4)
    for c in nb.cells:
        opts = directives(c.source)[0] if c.cell_type == 'code' else {}
        if opts.keys() & flags or opts.get('eval') == 'false': c.metadata['tags'] = ['skip-execution']
    env = os.environ.pop('MPLBACKEND', None)  # the kernel chooses the inline backend, as in a user's Jupyter
    try: NotebookClient(nb, timeout=timeout, kernel_name='python3', resources={'metadata': {'path': str(src.parent)}}).execute()
    finally:
        if env is not None: os.environ['MPLBACKEND'] = env
    return {c.get('id'): c.outputs for c in nb.cells if c.cell_type == 'code' and c.outputs}


def relink(md:str, base:str, up:str, git_url:str)->str:
    "nbdev's absolute doc links made relative to a page `up` levels deep; links to repository files sent to GitHub"
    md = _ATTRS.sub(r'\1', md).replace(base, up)
    def fix(m):
        url = m.group(2)
        if re.match(r'^[a-z]+:|^/|^\.\./', url) or not up and url.endswith('.html'): return m.group(0)
        if url.startswith('nbs/'): url = url[4:].replace('.ipynb', '.html')
        elif not url.endswith('.html'): url = f'{git_url}/blob/main/{url}'
        return m.group(1) + url + m.group(3)
    return _MD_LINK.sub(fix, md)


def front_matter(nb:dict)->dict:
    "The raw `---` cell nbdev's FrontmatterProc writes (title, description, output-file), removed from the cells"
    for i, c in enumerate(nb['cells']):
        if c['cell_type'] == 'raw' and ''.join(c['source']).startswith('---'):
            del nb['cells'][i]
            return yaml.safe_load(''.join(c['source']).strip().strip('-')) or {}
    return {}


def md_cell(text:str)->dict: return dict(cell_type='markdown', metadata={}, source=text)


def page_cell(c:dict, fix)->dict|None:
    "A processed cell as the page shows it: Quarto's options applied, show_doc output as markdown, links fixed"
    if c['cell_type'] == 'markdown': return {**c, 'source': fix(directives(''.join(c['source']))[1])}  # `#| export`: the module docstring
    if c['cell_type'] != 'code': return c
    opts, src = directives(''.join(c['source']))
    if opts.get('include') == 'false': return None
    outs = [] if opts.get('output') == 'false' else c.get('outputs', [])
    if opts.get('echo') == 'false':
        md = [''.join(o['data']['text/markdown']) for o in outs if 'text/markdown' in o.get('data', {})]
        if md and opts.get('output') == 'asis': return md_cell(fix('\n\n'.join(md)))
        if not outs: return None
        return {**c, 'source': '', 'outputs': outs, 'metadata': {**c.get('metadata', {}), 'tags': ['remove_input']}}
    return {**c, 'source': src, 'outputs': outs}


def to_page(src:Path, dst_root:Path, rel:Path, base:str, git_url:str, outputs:dict|None=None)->tuple[str, str]:
    "Write one processed notebook as a page under `dst_root`, with `outputs` (cell id -> outputs) of an executed copy; (page, title)"
    nb = json.loads(src.read_text())
    for c in nb['cells']:
        if c['cell_type'] == 'code' and not c.get('outputs') and c.get('id') in (outputs or {}): c['outputs'] = outputs[c['id']]
    fm = front_matter(nb)
    name = Path(fm.get('output-file') or rel.with_suffix('.html').name).with_suffix('.ipynb').name
    page = rel.parent/name
    up = '../' * len(rel.parent.parts)
    fix = lambda md: relink(md, base, up, git_url)
    cells = [c for c in (page_cell(c, fix) for c in nb['cells']) if c is not None]
    title = fm.get('title') or src.stem
    head = f"# {title}\n\n> {fm['description']}" if fm.get('description') else f'# {title}'
    if not any(c['cell_type'] == 'markdown' and ''.join(c['source']).lstrip().startswith('# ') for c in cells[:3]):
        cells.insert(0, md_cell(head))
    for c in cells:
        if c['cell_type'] == 'code': c['execution_count'] = None
    nb['cells'] = [{**{k: v for k, v in c.items() if k != 'id'}, 'metadata': {k: v for k, v in c.get('metadata', {}).items() if k == 'tags'}}
                   for c in cells]  # nbdev's timings are not valid nbformat
    nb['nbformat_minor'] = 4
    (dst_root/page).parent.mkdir(parents=True, exist_ok=True)
    (dst_root/page).write_text(json.dumps(nb, indent=1, ensure_ascii=False))
    return page.as_posix().replace('.ipynb', '.html'), title


def write_markdown(docs:Path, out:Path):
    "Each page also as `PAGE.html.md` (prose and code, no outputs) and llms.txt at the root: the links of nbs/llms.txt"
    for nb in docs.rglob('*.ipynb'):
        cells = json.loads(nb.read_text())['cells']
        parts = [''.join(c['source']) if c['cell_type'] == 'markdown' else f"```python\n{''.join(c['source'])}\n```"
                 for c in cells if ''.join(c['source']).strip()]
        (out/nb.relative_to(docs)).with_suffix('.html.md').write_text('\n\n'.join(parts) + '\n')
    shutil.copy(ROOT/'nbs'/'llms.txt', out/'llms.txt')


def mkdocs_config(cfg, nav:list, docs_dir:Path, site_dir:Path)->dict:
    return dict(
        site_name=cfg.title, site_description=cfg.description, site_url=f'{cfg.doc_host}{cfg.doc_baseurl}/',
        repo_url=cfg.git_url, edit_uri=f'blob/{cfg.branch}/nbs/', docs_dir=str(docs_dir), site_dir=str(site_dir),
        use_directory_urls=False, nav=nav,
        theme=dict(name='material', font=False, features=['navigation.sections', 'navigation.top', 'search.highlight', 'content.code.copy'],
                   palette=dict(primary='indigo')),
        plugins=['search', {'mkdocs-jupyter': dict(execute=False, include_source=True, ignore_h1_titles=False,
                                                   remove_tag_config=dict(remove_input_tags=['remove_input']))}],
        markdown_extensions=['tables', 'admonition', 'attr_list'], extra_css=['extra.css'])


def build_pages(cache:Path, work:Path, cfg, executed:dict)->list:
    "Every processed notebook as a page in `work/docs` (`executed`: notebook name -> its outputs); the site's navigation"
    docs = work/'docs'
    shutil.rmtree(docs, ignore_errors=True); docs.mkdir(parents=True)
    base, git_url = f'{cfg.doc_host}{cfg.doc_baseurl}/', cfg.git_url
    home, api, tutorials = None, [], []
    for nb in sorted(cache.rglob('*.ipynb')):
        rel = nb.relative_to(cache)
        if any(p.startswith(('.', '_')) for p in rel.parts): continue
        page, title = to_page(nb, docs, rel, base, git_url, executed.get(rel.stem))
        if rel.name == cfg.readme_nb: home = page
        elif len(rel.parts) > 1: tutorials.append({title: page.replace('.html', '.ipynb')})
        else: api.append({f'{rel.stem[:2]} {title}' if rel.stem[:2].isdigit() else title: page.replace('.html', '.ipynb')})
    return [{'Home': home.replace('.html', '.ipynb')}, {'API': api}, {'Tutorials': tutorials}]


CSS = '''.jp-InputPrompt, .jp-OutputPrompt { display: none !important; }  /* the prompts' numbers mean nothing on a page */
.md-grid { max-width: 1400px; }
'''

def build(out:Path, n_workers:int=2, force:bool=False, execute=EXECUTE)->Path:
    "Process the notebooks, run those in `execute`, write the pages and mkdocs.yml under _mkdocs/, build the site into `out`"
    from nbdev.config import get_config
    cfg = get_config(ROOT)
    cache, work = process_notebooks(n_workers, force), ROOT/'_mkdocs'
    flags = set(str(cfg.tst_flags).split())
    executed = {name: execute_notebook(cfg.nbs_path/f'{name}.ipynb', flags) for name in execute}
    nav = build_pages(cache, work, cfg, executed)
    (work/'docs'/'extra.css').write_text(CSS)
    (work/'mkdocs.yml').write_text(yaml.safe_dump(mkdocs_config(cfg, nav, work/'docs', out.resolve()), sort_keys=False))
    subprocess.run([sys.executable, '-m', 'mkdocs', 'build', '--quiet', '-f', str(work/'mkdocs.yml')], check=True, cwd=work,  # mkdocs-jupyter's cache goes there
                   env={**os.environ, 'NO_MKDOCS_2_WARNING': '1'})
    write_markdown(work/'docs', out)
    return out


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--out', default=str(ROOT/'_site'), help="folder of the built site")
    p.add_argument('--workers', type=int, default=2, help="notebooks processed at once")
    p.add_argument('--force', action='store_true', help="process every notebook again, not only the changed ones")
    p.add_argument('--execute', nargs='*', default=list(EXECUTE), help="module notebooks whose pages show their outputs (names without .ipynb)")
    a = p.parse_args()
    print(f"site: {build(Path(a.out), a.workers, a.force, a.execute)}/index.html")
