"""Least privilege, checked: template.yaml grants each function exactly what infra/privileges.yaml
lists, and every action listed there is one an AWS SDK call reachable from that function's code
needs. See the header of infra/privileges.yaml for the table's format.

How an SDK call becomes an IAM action (SDK_ACTIONS below), and the limits of that mapping:
- a call counts when it is `.method()` (the SDK's fluent builders start with no arguments) in
  a file that imports that service's SDK crate (`aws_sdk_dynamodb`, ...); a call through a
  wrapper crate, a macro that builds the method name, or a file that imports the crate under
  another name would be missed;
- `transact_write_items` needs the actions of the items it carries: PutItem / UpdateItem /
  DeleteItem / ConditionCheckItem, from the `Put::builder` / `Update::builder` / ... found in
  the same fn or the fns it calls directly;
- S3 HeadObject is authorised as s3:GetObject, and one whose code tells "not found" apart
  (`is_not_found()` / `is_no_such_key()` in the same fn) needs s3:ListBucket too (S3 answers 404
  only to a caller allowed to list, else 403); DeleteObjects as s3:DeleteObject per key, and a
  presigned GET is signed with the role, so it is s3:GetObject too;
- reachability is name-based (infra/stack/rust_calls.py): it can find a call a function never
  makes (so an unneeded action can slip through when its method name is common, e.g. the
  adapters' `get`), never the reverse for calls written as calls. The DynamoDB key prefixes
  and which secret a function loads are checked separately and exactly (runtime::secrets).
"""

import pathlib
import re

import pytest
import yaml
from cfnlint.decode import decode_str

from rust_calls import Graph

ROOT = pathlib.Path(__file__).resolve().parents[2]
TABLE = yaml.safe_load((ROOT / 'infra/privileges.yaml').read_text())
TEMPLATE, _ = decode_str((ROOT / 'template.yaml').read_text())
RESOURCES = TEMPLATE['Resources']

# (SDK crate, fluent method) -> IAM actions.
SDK_ACTIONS = {
    ('dynamodb', 'get_item'): {'dynamodb:GetItem'},
    ('dynamodb', 'put_item'): {'dynamodb:PutItem'},
    ('dynamodb', 'update_item'): {'dynamodb:UpdateItem'},
    ('dynamodb', 'delete_item'): {'dynamodb:DeleteItem'},
    ('dynamodb', 'query'): {'dynamodb:Query'},
    ('dynamodb', 'scan'): {'dynamodb:Scan'},
    ('dynamodb', 'batch_get_item'): {'dynamodb:BatchGetItem'},
    ('dynamodb', 'batch_write_item'): {'dynamodb:BatchWriteItem'},
    ('dynamodb', 'transact_get_items'): {'dynamodb:GetItem'},
    ('dynamodb', 'transact_write_items'): None,  # the items' own actions, see above
    ('kms', 'encrypt'): {'kms:Encrypt'},
    ('kms', 'decrypt'): {'kms:Decrypt'},
    ('kms', 'generate_data_key'): {'kms:GenerateDataKey'},
    ('kms', 're_encrypt'): {'kms:ReEncryptFrom', 'kms:ReEncryptTo'},
    ('secretsmanager', 'get_secret_value'): {'secretsmanager:GetSecretValue'},
    ('s3', 'get_object'): {'s3:GetObject'},
    ('s3', 'head_object'): {'s3:GetObject'},
    ('s3', 'put_object'): {'s3:PutObject'},
    ('s3', 'delete_object'): {'s3:DeleteObject'},
    ('s3', 'delete_objects'): {'s3:DeleteObject'},
    ('s3', 'list_objects_v2'): {'s3:ListBucket'},
    ('s3', 'list_objects'): {'s3:ListBucket'},
    ('sqs', 'send_message'): {'sqs:SendMessage'},
    ('sqs', 'send_message_batch'): {'sqs:SendMessage'},
    ('sqs', 'receive_message'): {'sqs:ReceiveMessage'},
    ('sqs', 'delete_message'): {'sqs:DeleteMessage'},
    ('sqs', 'delete_message_batch'): {'sqs:DeleteMessage'},
    ('sqs', 'get_queue_attributes'): {'sqs:GetQueueAttributes'},
}
TRANSACT_ITEMS = {
    'Put': 'dynamodb:PutItem',
    'Update': 'dynamodb:UpdateItem',
    'Delete': 'dynamodb:DeleteItem',
    'ConditionCheck': 'dynamodb:ConditionCheckItem',
}
# runtime::secrets field -> the secret's logical id and the variable naming it.
SECRET_FIELDS = {
    'inbox_token': ('InboxTokenSigningKey', 'INBOX_TOKEN_SECRET_ID'),
    'google_client': ('GoogleOAuthClient', 'GOOGLE_CLIENT_SECRET_ID'),
    'download_links': ('DownloadLinkKey', 'DOWNLOAD_LINK_SECRET_ID'),
}
# Actions that use the key, whoever is granted them.
# The actions that use the key, or hand its use to someone (a grant): only the function roles.
KMS_USE = re.compile(
    r'^kms:(\*|Encrypt|Decrypt|ReEncrypt.*|GenerateDataKey.*|CreateGrant|Create\*|Cr\*|C\*'
    r'|Re\*|G\*|E\*|D\*)$')


def as_list(v):
    return v if isinstance(v, list) else [v]


def expr(v) -> str:
    """A resource expression as text: Table.Arn, FilesBucket.Arn/temp/*, GoogleOAuthClient."""
    if isinstance(v, str):
        return v
    if 'Ref' in v:
        return v['Ref']
    if 'Fn::GetAtt' in v:
        att = v['Fn::GetAtt']
        return '.'.join(att) if isinstance(att, list) else att
    if 'Fn::Sub' in v and isinstance(v['Fn::Sub'], str):
        return re.sub(r'\$\{([^}]+)\}', r'\1', v['Fn::Sub'])
    return repr(v)


def functions():
    return {k: r for k, r in RESOURCES.items() if r['Type'] == 'AWS::Serverless::Function'}


# ------------------------------------------------------------------ what the template grants --

def condition_facts(cond) -> tuple:
    """A statement's condition as a sorted tuple of (operator, key, values)."""
    facts = []
    for op, kv in (cond or {}).items():
        for key, values in kv.items():
            facts.append((op, key, tuple(sorted(str(v) for v in as_list(values)))))
    return tuple(sorted(facts))


def role_grants(fn: dict) -> set:
    """(action, resource, condition detail) of every Allow in the function's Policies."""
    out = set()
    for policy in fn['Properties'].get('Policies', []):
        assert isinstance(policy, dict) and set(policy) == {'Statement'}, (
            f'only inline statements, whose grants this test can read: {policy!r}')
        for st in policy['Statement']:
            assert st['Effect'] == 'Allow', st
            assert 'NotAction' not in st and 'NotResource' not in st, st
            facts = condition_facts(st.get('Condition'))
            for action in as_list(st['Action']):
                for resource in as_list(st['Resource']):
                    out |= grant_tuples(action, expr(resource), facts)
    return out


def grant_tuples(action, resource, facts) -> set:
    # LeadingKeys conditions are split per prefix so statements may group them either way;
    # any other condition stays whole.
    keys = [f for f in facts if f[1] == 'dynamodb:LeadingKeys']
    rest = tuple(f for f in facts if f[1] != 'dynamodb:LeadingKeys')
    if len(keys) == 1 and keys[0][0] == 'ForAllValues:StringLike':
        return {(action, resource, rest + (('LeadingKey', v),)) for v in keys[0][2]}
    return {(action, resource, facts)}


def context_condition(keys) -> tuple:
    cond = {
        'ForAllValues:StringEquals': {'kms:EncryptionContextKeys': sorted(keys)},
        'Null': {f'kms:EncryptionContext:{k}': 'false' for k in keys},
    }
    return condition_facts(cond)


def key_policy_statements():
    return RESOURCES['TokenKey']['Properties']['KeyPolicy']['Statement']


def role_of(principal) -> str:
    """The function whose generated role a key-policy principal names, or ''."""
    name = expr(principal)
    m = re.fullmatch(r'(\w+Function)Role\.Arn', name)
    return m.group(1) if m else ''


def key_grants(function: str) -> set:
    out = set()
    for st in key_policy_statements():
        principals = as_list(st.get('Principal', {}).get('AWS', []))
        if st['Effect'] != 'Allow' or function not in {role_of(p) for p in principals}:
            continue
        assert len(principals) == 1, f'one function role per key-policy statement: {st}'
        facts = condition_facts(st.get('Condition'))
        for action in as_list(st['Action']):
            out.add((action, 'TokenKey(key policy)', facts))
    return out


# --------------------------------------------------------------------- what the table lists --

def table_grants(entry: dict) -> set:
    out = set()
    for g in entry['grants']:
        action = g['action']
        service = action.split(':')[0]
        if g.get('by') == 'lambda':
            out |= {(action, r, ()) for r in g['resources']}
        elif service == 'dynamodb' and 'keys' not in g:
            # An index whose partition keys are not table keys (imports' due index: dates):
            # the index itself is the limit.
            out.add((action, f"Table.Arn/index/{g['index']}", ()))
        elif service == 'dynamodb':
            resource = f"Table.Arn/index/{g['index']}" if 'index' in g else 'Table.Arn'
            out |= {(action, resource, (('LeadingKey', k + '*'),)) for k in g['keys']}
        elif service == 'sqs':
            out |= {(action, r, ()) for r in g['resources']}
        elif action == 's3:ListBucket':
            op = 'StringLikeIfExists' if g.get('if_exists') else 'StringLike'
            out.add((action, 'FilesBucket.Arn', ((op, 's3:prefix', (g['prefix'],)),)))
        elif service == 's3':
            out.add((action, 'FilesBucket.Arn/temp/*', ()))
        elif action == 'secretsmanager:GetSecretValue':
            out |= {(action, s, ()) for s in g['secrets']}
        elif service == 'kms':
            out.add((action, 'TokenKey(key policy)', context_condition(TABLE['kms_context_keys'])))
        else:
            raise AssertionError(f'privileges.yaml: no rule for {action}')
    return out


# ------------------------------------------------------------------------------ the code --

GRAPH = Graph([ROOT / 'shared/src', ROOT / 'functions/src'])


def binary_source(fn: dict) -> tuple:
    binary = fn['Metadata']['BuildProperties']['Binary']
    found = sorted((ROOT / 'functions').rglob(f'bin/{binary}.rs'))
    assert len(found) == 1, f'the source of binary {binary}: {found}'
    return binary, GRAPH.files[str(found[0])]


def roots_of(fn: dict) -> list:
    """The binary's own fns, and each fn its code names by path (`runtime::run`,
    `handlers::parse`), resolved by the module the path names (file `runtime.rs` or dir
    `runtime/`), so a generic name (`run`, `parse`) does not root every fn so called."""
    binary, src = binary_source(fn)
    roots = [f for fs in GRAPH.fns.values() for f in fs if f.path.endswith(f'/bin/{binary}.rs')]
    for module, name in set(re.findall(r'\b(?=(\w+)::(\w+)\b)', re.sub(r'#\[[^\]]*\]', '', src))):
        roots += [f for f in GRAPH.fns.get(name, []) if GRAPH.in_module(f, module)]
    return roots


def code_actions(function: str, fn: dict) -> dict:
    """IAM action -> the fns (reachable from the function's binary) whose SDK calls need it."""
    reachable = GRAPH.reachable(roots_of(fn))
    out = {}
    for f in reachable:
        services = set(re.findall(r'\baws_sdk_(\w+)', GRAPH.files[f.path]))
        for m in re.finditer(r'\.\s*(\w+)\s*\(\s*\)', f.body):
            for service in services:
                key = (service, m.group(1))
                if key not in SDK_ACTIONS:
                    continue
                actions = SDK_ACTIONS[key]
                if actions is None:
                    bodies = [f.body] + [t.body for c in GRAPH.calls(f.body) for t in GRAPH.targets(*c, caller=f)]
                    actions = {a for kind, a in TRANSACT_ITEMS.items()
                               for b in bodies if re.search(rf'\b{kind}::builder\b', b)}
                if service == 's3' and re.search(r'\.is_(not_found|no_such_key)\(\)', f.body):
                    # The code tells a missing key from an error: S3 answers 404 only with
                    # ListBucket (else 403), so that call needs it too.
                    actions = set(actions) | {'s3:ListBucket'}
                for a in actions:
                    out.setdefault(a, set()).add(repr(f))
    return out


def runtime_secrets() -> dict:
    """runtime::secrets: const NAME -> the set of secret fields it reads."""
    src = next(s for p, s in GRAPH.files.items() if re.search(r'\bmod\s+secrets\s*\{', s))
    body = src[src.index('mod secrets'):]
    body = body[:body.index('\n}\n')]  # the module, not what follows it (runtime::wiring)
    consts = {}
    for m in re.finditer(r'const\s+(\w+)\s*:\s*Secrets\s*=\s*([^;]+);', body):
        name, value = m.groups()
        if '{' in value:
            consts[name] = {k for k, v in re.findall(r'(\w+)\s*:\s*(true|false)', value) if v == 'true'}
        elif value.strip() == 'Secrets::ALL':
            consts[name] = set(SECRET_FIELDS)
        else:
            consts[name] = ('alias', value.strip())
    for name, v in list(consts.items()):
        while isinstance(v, tuple):
            v = consts[v[1]]
        consts[name] = v
    return consts


# ----------------------------------------------------------------------------- the tests --

def test_every_function_is_in_the_table_and_back():
    assert sorted(functions()) == sorted(TABLE['functions'])


@pytest.mark.parametrize('function', sorted(functions()))
def test_the_template_grants_exactly_the_table(function):
    fn = functions()[function]
    granted = role_grants(fn) | key_grants(function)
    listed = table_grants(TABLE['functions'][function])
    extra, missing = sorted(granted - listed), sorted(listed - granted)
    assert not extra, f'{function}: granted, not in infra/privileges.yaml: {extra}'
    assert not missing, f'{function}: in infra/privileges.yaml, not granted: {missing}'


@pytest.mark.parametrize('function', sorted(functions()))
def test_every_listed_action_is_called_by_the_functions_code(function):
    fn = functions()[function]
    found = code_actions(function, fn)
    listed = {g['action'] for g in TABLE['functions'][function]['grants'] if g.get('by') != 'lambda'}
    missing = sorted(a for a in listed if a not in found)
    assert not missing, f'{function}: no reachable SDK call needs {missing}'


@pytest.mark.parametrize('function', sorted(functions()))
def test_the_tables_entry_is_what_the_binary_runs(function):
    entry = TABLE['functions'][function]['entry']
    assert entry in {f.name for f in roots_of(functions()[function])}, (
        f'{function}: its binary does not name {entry}')


def runtime_wiring() -> dict:
    """runtime::wiring: function type -> (its runtime::secrets constant, the adapters it uses)."""
    src = next(s for p, s in GRAPH.files.items() if re.search(r'\bmod\s+wiring\s*\{', s))
    body = src[src.index('mod wiring'):]
    body = body[body.index('functions! {'):]
    out = {}
    for m in re.finditer(r'\b([A-Z]\w*)\s*:\s*([A-Z_]+)\s*,\s*Adapters\s*\{([^}]*)\}', body):
        name, secrets, fields = m.groups()
        out[name] = (secrets, {k for k, v in re.findall(r'(\w+)\s*:\s*(true|false)', fields) if v == 'true'})
    return out


def wiring_of(function: str) -> tuple:
    """The runtime::wiring type its main passes (or, when main only calls into the library,
    the one the fn it calls names) -> (secrets constant, adapters)."""
    fn = functions()[function]
    _, src = binary_source(fn)
    names = set(re.findall(r'wiring::([A-Z]\w*)', src))
    if not names:
        names = {n for f in roots_of(fn) for n in re.findall(r'wiring::([A-Z]\w*)', f.body)}
    assert len(names) == 1, (
        f'{function}: name its wiring as one runtime::wiring type, in its main or the fn '
        f'main calls (found {sorted(names)})')
    wiring = runtime_wiring()
    name = names.pop()
    assert name in wiring, f'{function}: runtime::wiring has no {name} ({sorted(wiring)})'
    return wiring[name]


@pytest.mark.parametrize('function', sorted(functions()))
def test_the_function_reads_exactly_the_secrets_it_may(function):
    fn = functions()[function]
    fields = runtime_secrets()[wiring_of(function)[0]]
    unknown = sorted(fields - set(SECRET_FIELDS))
    assert not unknown, f'add the Secrets field(s) {unknown} to SECRET_FIELDS in this file'
    loads = {SECRET_FIELDS[f][0] for f in fields}
    listed = {s for g in TABLE['functions'][function]['grants']
              if g['action'] == 'secretsmanager:GetSecretValue' for s in g['secrets']}
    assert loads == listed
    env = fn['Properties'].get('Environment', {}).get('Variables', {})
    named = {logical for logical, var in SECRET_FIELDS.values() if var in env}
    assert named == loads, f'{function}: the secret-id variables name {named}, it loads {loads}'


# runtime::wiring's AWS adapters -> the actions (of the table) that one of them needs.
ADAPTER_ACTIONS = {
    'dynamo': re.compile(r'^dynamodb:'),
    'import_settings': re.compile(r'^dynamodb:'),
    'kms': re.compile(r'^kms:'),
    's3': re.compile(r'^s3:'),
    'sqs': re.compile(r'^sqs:SendMessage$'),
}


@pytest.mark.parametrize('function', sorted(functions()))
def test_the_functions_adapters_are_its_privileges(function):
    # A function built without an adapter (adapters::Unavailable) has none of its actions, and
    # one built with it has some: runtime::wiring and this table say the same.
    adapters = wiring_of(function)[1]
    unknown = sorted(adapters - set(ADAPTER_ACTIONS) - {'gmail', 'pdf_urls', 'webhooks'})
    assert not unknown, f'add the adapter(s) {unknown} to ADAPTER_ACTIONS in this file'
    actions = {g['action'] for g in TABLE['functions'][function]['grants'] if g.get('by') != 'lambda'}
    for adapter, pattern in ADAPTER_ACTIONS.items():
        needs = {a for a in actions if pattern.match(a)}
        if adapter == 'import_settings':
            continue  # the same client as `dynamo`; which table items is the code's business
        if adapter == 'dynamo':
            built = bool(adapters & {'dynamo', 'import_settings'})
        else:
            built = adapter in adapters
        assert built == bool(needs), (
            f'{function}: runtime::wiring builds it with{"" if built else "out"} {adapter}, '
            f'infra/privileges.yaml grants {sorted(needs) or "none of its actions"}')


def test_the_encryption_context_keys_are_the_codes():
    raw = next(p for p in (ROOT / 'shared/src').rglob('*.rs') if 'fn token_context' in p.read_text())
    src = raw.read_text()
    body = src[src.index('fn token_context'):]
    body = body[:body.index('\n}\n')]
    assert sorted(re.findall(r'\("(\w+)"\.to_string\(\)', body)) == sorted(TABLE['kms_context_keys'])


def test_no_one_else_may_use_the_token_key():
    # Other statements (the account's key administrators) may manage the key, never use it:
    # an IAM principal with kms:Decrypt in its own policy must not be able to read tokens.
    for st in key_policy_statements():
        principals = as_list(st.get('Principal', {}).get('AWS', []))
        if all(role_of(p) for p in principals):
            continue
        assert 'NotAction' not in st, st
        uses = [a for a in as_list(st['Action']) if KMS_USE.match(a)]
        assert not uses, f'{st.get("Sid")}: {uses}'


def test_no_function_gets_a_sam_policy_template():
    for name, fn in functions().items():
        for policy in fn['Properties'].get('Policies', []):
            assert isinstance(policy, dict) and set(policy) == {'Statement'}, (name, policy)
