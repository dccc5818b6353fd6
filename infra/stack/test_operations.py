"""An operable stack, checked on template.yaml: every function has its log group with retention
and its alarms, every dead-letter queue an alarm, the parameters refuse malformed values at
deploy, and what must outlive (or must not block) a stack deletion is marked so."""

import pathlib
import re

import pytest
from cfnlint.decode import decode_str

ROOT = pathlib.Path(__file__).resolve().parents[2]
TEMPLATE, _ = decode_str((ROOT / 'template.yaml').read_text())
RESOURCES = TEMPLATE['Resources']
PARAMETERS = TEMPLATE['Parameters']


def of_type(kind):
    return {k: r for k, r in RESOURCES.items() if r['Type'] == kind}


FUNCTIONS = of_type('AWS::Serverless::Function')
ALARMS = of_type('AWS::CloudWatch::Alarm')


def ref(v):
    return v.get('Ref') if isinstance(v, dict) else None


def notifies_the_topic(alarm):
    # Both directions, and only when a topic is given (an empty ARN is no action).
    want = {'Fn::If': ['HasAlarmTopic', [{'Ref': 'AlarmTopicArn'}], {'Ref': 'AWS::NoValue'}]}
    props = alarm['Properties']
    return props.get('AlarmActions') == want and props.get('OKActions') == want


def function_alarm(function, metric):
    found = [a for a in ALARMS.values()
             if a['Properties'].get('Namespace') == 'AWS/Lambda'
             and a['Properties'].get('MetricName') == metric
             and {'Name': 'FunctionName', 'Value': {'Ref': function}}
             in a['Properties'].get('Dimensions', [])]
    assert len(found) == 1, f'{function}: one {metric} alarm, found {len(found)}'
    return found[0]


def timeout_of(function):
    own = FUNCTIONS[function]['Properties'].get('Timeout')
    return own if own is not None else TEMPLATE['Globals']['Function']['Timeout']


@pytest.mark.parametrize('function', sorted(FUNCTIONS))
def test_each_function_logs_to_its_own_group_with_retention(function):
    config = FUNCTIONS[function]['Properties'].get('LoggingConfig', {})
    group = ref(config.get('LogGroup'))
    assert group in RESOURCES and RESOURCES[group]['Type'] == 'AWS::Logs::LogGroup', function
    assert RESOURCES[group]['Properties']['RetentionInDays'] == {'Ref': 'LogRetentionDays'}
    # Globals' LogFormat JSON is merged in (SAM merges maps) unless the function sets its own.
    fmt = config.get('LogFormat', TEMPLATE['Globals']['Function']['LoggingConfig']['LogFormat'])
    assert fmt == 'JSON'


def test_every_log_group_has_the_retention_parameter():
    for name, group in of_type('AWS::Logs::LogGroup').items():
        assert group['Properties'].get('RetentionInDays') == {'Ref': 'LogRetentionDays'}, name


@pytest.mark.parametrize('function', sorted(FUNCTIONS))
def test_each_function_has_error_throttle_and_duration_alarms(function):
    for metric in ('Errors', 'Throttles'):
        alarm = function_alarm(function, metric)
        props = alarm['Properties']
        assert props['Statistic'] == 'Sum' and props['Threshold'] == 1, (function, metric)
        assert props['ComparisonOperator'] == 'GreaterThanOrEqualToThreshold'
        assert notifies_the_topic(alarm), (function, metric)
    duration = function_alarm(function, 'Duration')
    props = duration['Properties']
    timeout_ms = timeout_of(function) * 1000
    # Near the timeout: below it (a timed-out invocation reports the timeout as its Duration,
    # and Errors covers it) and not on ordinary slow calls.
    assert props['Statistic'] == 'Maximum'
    assert 0.75 * timeout_ms <= props['Threshold'] < timeout_ms, (function, props['Threshold'])
    assert notifies_the_topic(duration)


def test_the_api_5xx_rate_alarm():
    [alarm] = [a for a in ALARMS.values()
               if any(m.get('MetricStat', {}).get('Metric', {}).get('MetricName') == '5xx'
                      for m in a['Properties'].get('Metrics', []))]
    metrics = alarm['Properties']['Metrics']
    for m in metrics:
        if 'MetricStat' in m:
            assert m['MetricStat']['Metric']['Dimensions'] == [
                {'Name': 'ApiId', 'Value': {'Ref': 'HttpApi'}}]
    returned = [m for m in metrics if m.get('ReturnData', True)]
    assert len(returned) == 1 and 'Expression' in returned[0]
    assert notifies_the_topic(alarm)


def queue_of(arn):
    """The queue a `!GetAtt Queue.Arn` names, or None."""
    att = arn.get('Fn::GetAtt') if isinstance(arn, dict) else None
    if not att:
        return None
    name = att[0] if isinstance(att, list) else att.split('.')[0]
    return name if RESOURCES.get(name, {}).get('Type') == 'AWS::SQS::Queue' else None


def dead_letter_queues():
    """Queues something sends its failures to: an SQS redrive policy, a function's or a
    schedule's / rule target's dead-letter config."""
    found = set()

    def walk(v, inside_dlq=False):
        if isinstance(v, dict):
            q = queue_of(v) if inside_dlq else None
            if q:
                found.add(q)
            for k, x in v.items():
                dlq = inside_dlq or k in ('deadLetterTargetArn', 'DeadLetterConfig', 'DeadLetterQueue')
                walk(x, dlq)
        elif isinstance(v, list):
            for x in v:
                walk(x, inside_dlq)

    for r in RESOURCES.values():
        walk(r.get('Properties', {}))
    return found


def test_every_dead_letter_queue_has_a_depth_alarm():
    for queue in sorted(dead_letter_queues()):
        alarms = [a for a in ALARMS.values()
                  if a['Properties'].get('Namespace') == 'AWS/SQS'
                  and a['Properties'].get('MetricName') == 'ApproximateNumberOfMessagesVisible'
                  and {'Name': 'QueueName', 'Value': {'Fn::GetAtt': [queue, 'QueueName']}}
                  in a['Properties'].get('Dimensions', [])]
        assert len(alarms) == 1, f'{queue} is a dead-letter queue: it needs one depth alarm'
        assert notifies_the_topic(alarms[0]), queue


PATTERNS = {
    'PublicBaseUrl': (
        ['', 'https://cas.example.com', 'https://api.cas-import.example.co.in:8443'],
        ['https://cas.example.com/', 'http://cas.example.com', 'https://cas.example.com/v4',
         'cas.example.com', 'https://localhost', 'https://cas.example.com?x=1', ' https://a.b'],
    ),
    'GoogleClientId': (
        ['123456789012-abcdefghijklmnopqrstuvwxyz012345.apps.googleusercontent.com'],
        ['', '123456789012-abc', 'x.apps.googleusercontent.com.evil.com',
         'a"b.apps.googleusercontent.com', 'GOCSPX-secret'],
    ),
    'GoogleClientSecret': (
        ['GOCSPX-AbCdEf_gh-IJ0123456789xyzXYZ'],
        ['', 'has space', 'quote"inside', 'back\\slash'],
    ),
    'AlarmTopicArn': (
        ['', 'arn:aws:sns:ap-south-1:123456789012:cas-alarms'],
        ['cas-alarms', 'arn:aws:sqs:ap-south-1:123456789012:q'],
    ),
}


@pytest.mark.parametrize('name', sorted(PATTERNS))
def test_parameters_refuse_malformed_values(name):
    # CloudFormation matches AllowedPattern against the whole value (Java regex; these patterns
    # use only syntax Python's re reads the same way).
    pattern = PARAMETERS[name]['AllowedPattern']
    good, bad = PATTERNS[name]
    for value in good:
        assert re.fullmatch(pattern, value), (name, value)
    for value in bad:
        assert not re.fullmatch(pattern, value), (name, value)


def test_the_callback_url_follows_the_public_base_url():
    cond, custom, default = TEMPLATE['Outputs']['CallbackUrl']['Value']['Fn::If']
    assert cond == 'HasPublicBaseUrl'
    assert TEMPLATE['Conditions']['HasPublicBaseUrl'] == {
        'Fn::Not': [{'Fn::Equals': [{'Ref': 'PublicBaseUrl'}, '']}]}
    assert custom == {'Fn::Sub': '${PublicBaseUrl}/v4/inbox/callback'}
    assert default['Fn::Sub'].endswith('.amazonaws.com/v4/inbox/callback')


def test_state_survives_and_the_bucket_does_not_block_deletion():
    table = RESOURCES['Table']
    assert table['Properties']['DeletionProtectionEnabled'] is True
    assert table['DeletionPolicy'] == 'Retain'
    # The alias goes where its key goes.
    for attr in ('DeletionPolicy', 'UpdateReplacePolicy'):
        assert RESOURCES['TokenKeyAlias'].get(attr) == RESOURCES['TokenKey'][attr] == 'Retain'
    assert RESOURCES['EmptyFilesBucket']['Properties']['BucketName'] == {'Ref': 'FilesBucket'}
    # Every function that can write to the bucket is deleted before the emptier runs.
    for name, fn in FUNCTIONS.items():
        if 's3:PutObject' in repr(fn['Properties'].get('Policies')):
            depends = fn.get('DependsOn', [])
            assert 'EmptyFilesBucket' in ([depends] if isinstance(depends, str) else depends), name


def test_every_checkov_skip_is_justified():
    for name, r in RESOURCES.items():
        for skip in r.get('Metadata', {}).get('checkov', {}).get('skip', []):
            assert re.fullmatch(r'CKV2?_AWS_\d+', skip['id']), (name, skip)
            assert len(skip.get('comment', '').split()) >= 5, (name, skip['id'])
