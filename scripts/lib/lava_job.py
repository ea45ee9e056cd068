# SPDX-License-Identifier: GPL-2.0
"""What scripts/lava-matrix, scripts/lava-local and scripts/lava-results
share: the matrix description, the job template, the device dictionary and
LAVA's recorded results.  Python 3 with python3-yaml and python3-jinja2
(lava-dispatcher depends on both).

  python3 scripts/lib/lava_job.py device DICT TEMPLATES_DIR [KEY=VALUE...]
  python3 scripts/lib/lava_job.py kernels MATRIX
  python3 scripts/lib/lava_job.py jobs MATRIX OUTDIR [--kernel-urls TSV] [KEY=VALUE...]
  python3 scripts/lib/lava_job.py validate JOB...
  python3 scripts/lib/lava_job.py results FILE...

Errors are one line on stderr and exit 1 (2: usage).
"""

import json
import os
import re
import sys

import yaml

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
JOB_TEMPLATE = os.path.join(TOP, 'ci', 'lava', 'job-qemu.yaml.j2')


class Error(Exception):
    pass


# --- the matrix ------------------------------------------------------------

# What each config means for the kernel build (scripts/build-kernel
# --fragments), the qemu command line, the kernel command line, the test
# definition's parameters, and how much slower it runs (timeouts).
CONFIG_PRESETS = {
    'base': {'fragments': 'base', 'qemu': '', 'append': '', 'params': {},
             'slowdown': 1},
    # KASAN, lockdep, DEBUG_VM: several times slower under TCG.
    'debug': {'fragments': 'debug', 'qemu': '', 'append': '', 'params': {},
              'slowdown': 4},
    # Two nodes of half the memory each, a CPU each (configs/numa.config:
    # the topology reaches the guest through ACPI's SRAT).
    'numa': {'fragments': 'numa',
             'qemu': '-object memory-backend-ram,id=mem0,size={half}M '
                     '-object memory-backend-ram,id=mem1,size={half}M '
                     '-numa node,nodeid=0,memdev=mem0,cpus=0 '
                     '-numa node,nodeid=1,memdev=mem1,cpus=1',
             'append': '', 'params': {}, 'slowdown': 1},
    # A 256 MB RAM block device (configs/swap.config) made swap by the test
    # definition before the run.
    'swap': {'fragments': 'swap', 'qemu': '', 'append': 'brd.rd_nr=1 brd.rd_size=262144',
             'params': {'SWAP_DEV': '/dev/ram0'}, 'slowdown': 1},
}

# Programs: which run_kselftest.sh tests, stress options, and the minutes
# the test action gets under TCG at slowdown 1.
PROGRAM_PRESETS = {
    'contract': {'tests': 'uffd_collapse:uffd_collapse_contract', 'stress_args': '',
                 'minutes': 10},
    'stress': {'tests': 'uffd_collapse:uffd_collapse_stress',
               'stress_args': '--duration 5 --seed 1', 'minutes': 25},
    'all': {'tests': '', 'stress_args': '--duration 5 --seed 1', 'minutes': 30},
}

LAB_DEFAULTS = {
    'device_type': 'qemu',
    'visibility': 'public',
    'priority': 'medium',
    'tags': [],
    'memory': 1024,
    'smp': 2,
    'testdef_repo': '',
    'testdef_revision': '',
    'artifact_url': '',
    'ramdisk_url': '',
    'suite_url': '',
    'suite_dir': '/opt/uffd-collapse',
    'timeout': '',
    'strict': '',
    'kernel_append': 'console=ttyS0,115200 printk.time=1 loglevel=6 panic=-1 '
                     'softlockup_panic=0 hung_task_panic=0 rdinit=/init',
    'boot_minutes': 5,
    'deploy_minutes': 10,
    'connection_minutes': 10,
}

NAME_RE = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.+-]*$')
KERNEL_KINDS = ('debian', 'tree', 'url')


def load_yaml(path):
    try:
        with open(path) as f:
            return yaml.safe_load(f)
    except OSError as e:
        raise Error('cannot read %s: %s' % (path, e.strerror))
    except yaml.YAMLError as e:
        raise Error('%s is not YAML: %s' % (path, str(e).replace('\n', ' ')))


def _named(what, name):
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise Error('%s name %r: letters, digits, "_", ".", "+", "-" only' % (what, name))
    return name


def _merge(preset, over, what):
    if over is None:
        return dict(preset)
    if not isinstance(over, dict):
        raise Error('%s must be a mapping' % what)
    out = dict(preset)
    for k, v in over.items():
        if k not in preset:
            raise Error('%s: unknown key %r (known: %s)' % (what, k, ', '.join(sorted(preset))))
        out[k] = v
    return out


def load_matrix(path, overrides=None):
    """The matrix file, checked, with every default filled in."""
    m = load_yaml(path)
    if not isinstance(m, dict):
        raise Error('%s: the matrix must be a mapping' % path)
    unknown = set(m) - {'lab', 'kernels', 'configs', 'programs'}
    if unknown:
        raise Error('%s: unknown key(s) %s' % (path, ', '.join(sorted(unknown))))
    lab = _merge(LAB_DEFAULTS, m.get('lab'), 'lab')
    for k, v in (overrides or {}).items():
        if k not in LAB_DEFAULTS:
            raise Error('unknown lab setting %r (known: %s)' % (k, ', '.join(sorted(LAB_DEFAULTS))))
        lab[k] = type(LAB_DEFAULTS[k])(v) if isinstance(LAB_DEFAULTS[k], int) else v

    kernels = m.get('kernels')
    if not isinstance(kernels, list) or not kernels:
        raise Error('%s: "kernels" must be a non-empty list' % path)
    ks = []
    for i, k in enumerate(kernels):
        if not isinstance(k, dict):
            raise Error('%s: kernels[%d] must be a mapping' % (path, i))
        name = _named('kernel', k.get('name'))
        kinds = [x for x in KERNEL_KINDS if x in k]
        if len(kinds) != 1:
            raise Error('kernel %s: exactly one of %s' % (name, ', '.join(KERNEL_KINDS)))
        extra = set(k) - {'name', 'commit', 'sha256'} - set(KERNEL_KINDS)
        if extra:
            raise Error('kernel %s: unknown key(s) %s' % (name, ', '.join(sorted(extra))))
        if 'commit' in k and kinds[0] != 'tree':
            raise Error('kernel %s: "commit" goes with "tree"' % name)
        ks.append({'name': name, 'kind': kinds[0], 'spec': str(k[kinds[0]]),
                   'commit': str(k.get('commit', '')), 'sha256': k.get('sha256') or {}})
    if len({k['name'] for k in ks}) != len(ks):
        raise Error('%s: two kernels share a name' % path)

    configs = m.get('configs', ['base'])
    if isinstance(configs, list):
        configs = {c: None for c in configs}
    if not isinstance(configs, dict) or not configs:
        raise Error('%s: "configs" must be a list of names or a mapping' % path)
    cs = {}
    for name, over in configs.items():
        _named('config', name)
        base = CONFIG_PRESETS.get(name)
        if base is None:
            base = {'fragments': name, 'qemu': '', 'append': '', 'params': {}, 'slowdown': 1}
        cs[name] = _merge(base, over, 'config %s' % name)

    programs = m.get('programs', ['contract'])
    if isinstance(programs, list):
        programs = {p: None for p in programs}
    if not isinstance(programs, dict) or not programs:
        raise Error('%s: "programs" must be a list of names or a mapping' % path)
    ps = {}
    for name, over in programs.items():
        _named('program', name)
        base = PROGRAM_PRESETS.get(name, {'tests': '', 'stress_args': '', 'minutes': 30})
        ps[name] = _merge(base, over, 'program %s' % name)
    return {'lab': lab, 'kernels': ks, 'configs': cs, 'programs': ps}


def kernel_url(lab, kernel, config):
    """Where the cell's bzImage is: a url kernel's own (with {config}),
    else where scripts/lava-matrix --build publishes it."""
    if kernel['kind'] == 'url':
        return kernel['spec'].replace('{config}', config)
    base = lab['artifact_url']
    if not base:
        raise Error('kernel %s is built here (%s): set lab.artifact_url (or --artifact-url), '
                    'where the built bzImage will be published' % (kernel['name'], kernel['kind']))
    return base.rstrip('/') + '/kernels/%s-%s/bzImage' % (kernel['name'], config)


def artifact(lab, key, file):
    if lab[key]:
        return lab[key]
    if not lab['artifact_url']:
        raise Error('set lab.%s or lab.artifact_url' % key)
    return lab['artifact_url'].rstrip('/') + '/' + file


def render_jobs(matrix, outdir, kernel_urls=None, sums=None):
    """One job file per kernel x config x program; returns the cells."""
    import jinja2
    lab = matrix['lab']
    if not lab['testdef_repo']:
        raise Error('set lab.testdef_repo: the git repository holding ci/lava/uffd-collapse.yaml')
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(os.path.dirname(JOB_TEMPLATE)),
                             trim_blocks=True, lstrip_blocks=True,
                             undefined=jinja2.StrictUndefined, autoescape=False)
    env.policies['json.dumps_kwargs'] = {'sort_keys': True, 'ensure_ascii': False}
    tpl = env.get_template(os.path.basename(JOB_TEMPLATE))
    os.makedirs(outdir, exist_ok=True)
    sums = sums or {}
    cells = []
    for k in matrix['kernels']:
        for cname, c in matrix['configs'].items():
            url = (kernel_urls or {}).get((k['name'], cname)) or kernel_url(lab, k, cname)
            ksum = k['sha256'].get(cname, '') if isinstance(k['sha256'], dict) else str(k['sha256'])
            ksum = ksum or sums.get(url, '')
            mem = int(lab['memory'])
            smp = int(lab['smp'])
            qemu = '-no-reboot -m %d -smp %d,sockets=%d,cores=1,threads=1' % (mem, smp, smp)
            if c['qemu']:
                qemu += ' ' + c['qemu'].format(half=mem // 2, memory=mem, smp=smp)
            append = lab['kernel_append'] + (' ' + c['append'] if c['append'] else '')
            for pname, p in matrix['programs'].items():
                cell = '%s-%s-%s' % (k['name'], cname, pname)
                slow = max(1, int(c['slowdown']))
                test_minutes = int(p['minutes']) * slow
                boot_minutes = int(lab['boot_minutes']) * slow
                deploy_minutes = int(lab['deploy_minutes'])
                params = {'SWAP_DEV': ''}
                params.update(c['params'])
                ramdisk = artifact(lab, 'ramdisk_url', 'rootfs.cpio.gz')
                suite = artifact(lab, 'suite_url', 'uffd-collapse-kselftest.tar.gz')
                text = tpl.render(
                    cell=cell, job_name='uffd-collapse %s %s %s' % (k['name'], cname, pname),
                    device_type=lab['device_type'], visibility=lab['visibility'],
                    priority=lab['priority'], tags=lab['tags'], memory=mem,
                    kernel=k['name'], kernel_source='%s:%s%s' % (
                        k['kind'], k['spec'], '@' + k['commit'] if k['commit'] else ''),
                    config=cname, program=pname,
                    job_minutes=deploy_minutes + boot_minutes + test_minutes + 5,
                    connection_minutes=min(int(lab['connection_minutes']), test_minutes),
                    test_minutes=test_minutes, boot_minutes=boot_minutes,
                    deploy_minutes=deploy_minutes,
                    kernel_url=url, kernel_sha256=ksum,
                    kernel_append=append, qemu_args=qemu,
                    ramdisk_url=ramdisk, ramdisk_sha256=sums.get(ramdisk, ''),
                    suite_url=suite, suite_sha256=sums.get(suite, ''),
                    suite_dir=lab['suite_dir'],
                    testdef_repo=lab['testdef_repo'], testdef_revision=lab['testdef_revision'],
                    tests=p['tests'], stress_args=p['stress_args'],
                    timeout=str(lab['timeout']), swap_dev=params['SWAP_DEV'],
                    strict=str(lab['strict']))
                yaml.safe_load(text)     # the template must give YAML
                path = os.path.join(outdir, cell + '.yaml')
                with open(path, 'w') as f:
                    f.write(text)
                cells.append({'cell': cell, 'kernel': k['name'], 'config': cname,
                              'program': pname, 'job': path})
    return cells


# --- the device ------------------------------------------------------------

def render_device(dictionary, templates, ctx):
    """A device dictionary rendered as lava-server renders it for a job:
    the dictionary extends the device-type template (templates dir)."""
    import jinja2
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([os.path.dirname(os.path.abspath(dictionary)), templates]),
        trim_blocks=True, autoescape=False)
    with open(dictionary) as f:
        tpl = env.from_string(f.read())
    text = tpl.render(**ctx)
    data = yaml.safe_load(text)
    if not isinstance(data, dict) or 'actions' not in data:
        raise Error('%s rendered to no device configuration' % dictionary)
    return text


# --- validation as lava-server does at submission ---------------------------

def validate_job(path):
    try:
        from lava_common.schemas import validate
    except ImportError:
        raise Error('lava_common is not installed (apt-get install lava-common)')
    data = load_yaml(path)
    try:
        validate(data, strict=True)
    except Exception as e:  # voluptuous.Invalid and its subclasses
        raise Error('%s: rejected by the job schema: %s' % (path, e))


# --- results ---------------------------------------------------------------

def _yaml_loader():
    return getattr(yaml, 'CSafeLoader', yaml.SafeLoader)


def read_results(path):
    """LAVA's recorded results, from any of
      - a job log as lava-run writes it (stderr: one flow mapping
        {dt, lvl, msg} a line) or as lava-server keeps it (output.yaml: the
        same lines as a YAML list, "- {...}"); the msg of each lvl "results"
        record is one result ({definition, case, result, ...});
      - `lavacli jobs results ID --yaml` (the REST API's results): a YAML
        list of {suite, name, result, ...}.
    Returns [(suite, case, result, extra)], result in pass/fail/skip/unknown."""
    try:
        with open(path, encoding='utf-8', errors='replace') as f:
            text = f.read()
    except OSError as e:
        raise Error('cannot read %s: %s' % (path, e.strerror))
    first = next((ln.strip() for ln in text.splitlines() if ln.strip()), '')
    records = []
    if first.startswith('{') or (first.startswith('- {') and '"lvl"' in first):
        # A job log: one record a line; only the results records are read.
        for n, line in enumerate(text.splitlines(), 1):
            if '"lvl": "results"' not in line:
                continue
            line = line.strip()
            if line.startswith('- '):
                line = line[2:]
            try:
                rec = yaml.load(line, Loader=_yaml_loader())
            except yaml.YAMLError:
                raise Error('%s:%d: a log record that is not YAML' % (path, n))
            records.append(rec)
    else:
        try:
            data = yaml.load(text, Loader=_yaml_loader())
        except yaml.YAMLError as e:
            raise Error('%s is not YAML: %s' % (path, str(e).replace('\n', ' ')))
        if data is None:
            data = []
        if not isinstance(data, list):
            raise Error('%s: neither a LAVA job log nor a results list' % path)
        records = data
    out = []
    for rec in records:
        if not isinstance(rec, dict):
            continue
        if 'lvl' in rec:
            if rec.get('lvl') != 'results' or not isinstance(rec.get('msg'), dict):
                continue
            msg = rec['msg']
            suite, case, res = msg.get('definition'), msg.get('case'), msg.get('result')
        else:
            suite, case, res = rec.get('suite'), rec.get('name'), rec.get('result')
            msg = rec
        if suite is None or case is None or res is None:
            continue
        res = str(res).lower()
        if res not in ('pass', 'fail', 'skip', 'unknown'):
            res = 'unknown'
        extra = {k: v for k, v in msg.items()
                 if k in ('duration', 'level', 'error_msg', 'error_type', 'extra',
                          'measurement', 'units', 'namespace', 'starttc', 'endtc')}
        out.append((str(suite), str(case), res, extra))
    return out


def main(argv):
    if len(argv) < 2 or argv[1] in ('-h', '--help'):
        print(__doc__)
        return 0 if len(argv) >= 2 else 2
    cmd, args = argv[1], argv[2:]
    try:
        if cmd == 'device':
            if len(args) < 2:
                return usage('device DICT TEMPLATES_DIR [KEY=VALUE...]')
            ctx = {}
            for kv in args[2:]:
                k, _, v = kv.partition('=')
                ctx[k] = yaml.safe_load(v) if v else ''
            sys.stdout.write(render_device(args[0], args[1], ctx))
        elif cmd == 'kernels':
            if len(args) != 1:
                return usage('kernels MATRIX')
            m = load_matrix(args[0])
            for k in m['kernels']:
                for cname, c in m['configs'].items():
                    print('\t'.join([k['name'], cname, c['fragments'], k['kind'], k['spec'],
                                     k['commit'] or '-']))
        elif cmd == 'jobs':
            if len(args) < 2:
                return usage('jobs MATRIX OUTDIR [--kernel-urls TSV] [--sums FILE] [KEY=VALUE...]')
            matrix_path, outdir, rest = args[0], args[1], args[2:]
            urls, sums, over = {}, {}, {}
            while rest:
                a = rest.pop(0)
                if a in ('--kernel-urls', '--sums'):
                    if not rest:
                        return usage('%s needs a file' % a)
                    with open(rest.pop(0)) as f:
                        for line in f:
                            parts = line.rstrip('\n').split('\t')
                            if a == '--kernel-urls' and len(parts) == 3:
                                urls[(parts[0], parts[1])] = parts[2]
                            elif a == '--sums' and len(parts) == 2:
                                sums[parts[1]] = parts[0]
                elif '=' in a:
                    k, _, v = a.partition('=')
                    over[k] = v
                else:
                    return usage('unexpected argument %r' % a)
            m = load_matrix(matrix_path, over)
            for c in render_jobs(m, outdir, urls, sums):
                print('\t'.join([c['cell'], c['kernel'], c['config'], c['program'], c['job']]))
        elif cmd == 'validate':
            for p in args:
                validate_job(p)
                print('%s: valid' % p)
        elif cmd == 'results':
            for p in args:
                for suite, case, res, extra in read_results(p):
                    print('\t'.join([suite, case, res, json.dumps(extra, sort_keys=True, default=str)]))
        else:
            return usage('unknown command %r' % cmd)
    except Error as e:
        print('lava_job: %s' % e, file=sys.stderr)
        return 1
    return 0


def usage(text):
    print('lava_job: usage: %s' % text, file=sys.stderr)
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv))
