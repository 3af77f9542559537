"""What template.yaml grants, encrypts and alarms on: checked on the template, since no local run can.

moto enforces no IAM policy, delivers to any encrypted topic and raises no alarm: a policy that is too
broad or too narrow, a key policy that silences an alarm, or an alarm on the wrong metric would show only
on AWS, and only on the day it matters.
"""

from __future__ import annotations

from typing import Any

import pytest
from iam_helpers import as_list, every_policy_statement, policy_statements

from phonebank_local.template import Template

pytest_plugins = ["contract_fixtures"]  # template, asl_text, asl, states

BUCKET_ARN = {"Fn::GetAtt": ["UploadBucket", "Arn"]}
KEY = {"Ref": "PipelineKey"}
KEY_ARN = {"Fn::GetAtt": ["PipelineKey", "Arn"]}
OPERATOR_TOPIC = {"Ref": "OperatorTopic"}
STATE_MACHINE = {"Ref": "PipelineStateMachine"}
FUNCTIONS = ("ValidateFunction", "TransformFunction", "ArchiveFunction", "VanPushFunction")


def _objects(prefix: str) -> dict[str, str]:
    return {"Fn::Sub": "${UploadBucket.Arn}/" + prefix}


CONFIG_OBJECT = _objects("${ConfigKey}")
# The bulk-import file's row map: a working file the transform writes and the VAN push reads, nothing more.
ROW_MAP = _objects("work/*/van-bulk-import-rows.csv")
# The VAN push gives back the calls VAN did not record: it rewrites day shards, and touches nothing else.
LEDGER_SHARDS = _objects("ledger/shards/*")
READ_CONFIG = ("ReadTheConfiguration", {"s3:GetObject", "s3:GetObjectVersion"}, (CONFIG_OBJECT,))
# Only with a VanApiKeySecretArn, and only that secret: no other function, and no wildcard.
READ_VAN_KEY = ("ReadTheVanApiKey", {"secretsmanager:GetSecretValue"}, ({"Ref": "VanApiKeySecretArn"},))
# Each function's statements when a ConfigKey is set: Sid -> (actions, resources).
EXPECTED: dict[str, list[tuple[str, set[str], tuple[Any, ...]]]] = {
    "ValidateFunction": [
        ("ReadTheUpload", {"s3:GetObject", "s3:GetObjectVersion"}, (_objects("incoming/*"),)),
        ("TellAMissingKeyFromARefusal", {"s3:ListBucket"}, (BUCKET_ARN,)),
        (
            "WriteTheRunAndItsWorkingFiles",
            {"s3:PutObject", "s3:AbortMultipartUpload"},
            (_objects("runs/*"), _objects("work/*")),
        ),
        ("ReadWhoClaimedTheRun", {"s3:GetObject"}, (_objects("runs/*"),)),
        READ_CONFIG,
    ],
    "TransformFunction": [
        ("ReadTheValidatedRows", {"s3:GetObject"}, (_objects("work/*"),)),
        ("WriteTheImportFiles", {"s3:PutObject", "s3:AbortMultipartUpload"}, (_objects("runs/*"),)),
        ("WriteTheBulkImportRowMap", {"s3:PutObject", "s3:AbortMultipartUpload"}, (ROW_MAP,)),
        (
            "ReadTheUploadForTheAlreadyExportedReport",
            {"s3:GetObject", "s3:GetObjectVersion"},
            (_objects("incoming/*"),),
        ),
        ("ReadAndWriteTheExportLedger", {"s3:GetObject", "s3:PutObject"}, (_objects("ledger/*"),)),
        ("TellAMissingKeyFromARefusal", {"s3:ListBucket"}, (BUCKET_ARN,)),
        READ_CONFIG,
    ],
    "ArchiveFunction": [
        (
            "ReadTheUpload",
            {"s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectTagging", "s3:GetObjectVersionTagging"},
            (_objects("incoming/*"),),
        ),
        ("TellAMissingKeyFromARefusal", {"s3:ListBucket"}, (BUCKET_ARN,)),
        (
            "WriteTheMovedCopy",
            {"s3:PutObject", "s3:PutObjectTagging", "s3:AbortMultipartUpload"},
            (_objects("archive/*"), _objects("failed/*")),
        ),
        ("DeleteTheMovedVersion", {"s3:DeleteObjectVersion"}, (_objects("incoming/*"),)),
    ],
    # The zip's presigned link lends the function's own s3:GetObject on that object: nothing more.
    "VanPushFunction": [
        ("ReadTheRunsFiles", {"s3:GetObject"}, (_objects("runs/*"),)),
        ("WriteTheVanReports", {"s3:PutObject", "s3:AbortMultipartUpload"}, (_objects("runs/*"),)),
        ("ReadTheArchivedInput", {"s3:GetObject"}, (_objects("archive/*"),)),
        ("ReadTheBulkImportRowMap", {"s3:GetObject"}, (ROW_MAP,)),
        ("ReadTheValidatedRowsForTheLedger", {"s3:GetObject"}, (_objects("work/*/validated-rows/*"),)),
        ("GiveCallsBackInTheExportLedger", {"s3:GetObject", "s3:PutObject"}, (LEDGER_SHARDS,)),
        (
            "WriteAndLendTheZipForVan",
            {"s3:PutObject", "s3:AbortMultipartUpload", "s3:GetObject"},
            (_objects("work/*/van-push/*"),),
        ),
        READ_CONFIG,
        READ_VAN_KEY,
    ],
}
# Actions that could undo "nothing is ever lost": expire versions, open the bucket, delete a version.
DANGEROUS = {"s3:PutLifecycleConfiguration", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy", "s3:DeleteBucket"}


@pytest.mark.parametrize("function", FUNCTIONS)
@pytest.mark.parametrize("config_key", [True, False], ids=["with ConfigKey", "without ConfigKey"])
def test_each_function_gets_exactly_the_s3_actions_and_prefixes_it_uses(
    template: Template, function: str, config_key: bool
) -> None:
    # Given the function's policies
    resource = template.resources[function]
    policies = resource["Properties"]["Policies"]

    # Then they are inline statements only: no SAM policy template such as S3CrudPolicy
    assert all(set(policy) == {"Statement"} for policy in policies), policies
    # And the statements are exactly the expected ones, the configuration's only with a ConfigKey
    found = [
        (s["Sid"], set(as_list(s["Action"])), tuple(as_list(s["Resource"])))
        for s in policy_statements(resource, config_key)
    ]
    assert all(s["Effect"] == "Allow" for s in policy_statements(resource, config_key))
    expected = [e for e in EXPECTED[function] if config_key or e is not READ_CONFIG]
    assert found == expected


def test_no_role_can_change_the_buckets_lifecycle_or_policy_or_delete_versions_outside_incoming(
    template: Template,
) -> None:
    # Given every statement of the functions' and the state machine's roles
    statements = every_policy_statement(template)
    actions = [(action, s) for s in statements for action in as_list(s["Action"])]
    assert len(actions) > 10

    # Then no action is a wildcard and none of them could change the bucket itself
    assert [a for a, _ in actions if a.startswith("s3:") and "*" in a] == []
    assert [a for a, _ in actions if a in DANGEROUS] == []
    # And a version is deleted only under incoming/, and nothing is deleted without its version
    assert [a for a, _ in actions if a == "s3:DeleteObject"] == []
    deleting = [s for a, s in actions if a == "s3:DeleteObjectVersion"]
    assert deleting, "the archive step must be able to delete the version it moved"
    assert all(as_list(s["Resource"]) == [_objects("incoming/*")] for s in deleting)


def test_the_topics_and_the_dead_letter_queue_use_the_customer_managed_key(template: Template) -> None:
    # Given the template's topics and queues
    encrypted = {
        name: resource["Properties"].get("KmsMasterKeyId")
        for name, resource in template.resources.items()
        if resource["Type"] in {"AWS::SNS::Topic", "AWS::SQS::Queue"}
    }
    # Then each is encrypted with the pipeline's own key, never the AWS-managed alias/aws/sns
    assert set(encrypted) == {"NotificationTopic", "OperatorTopic", "UploadDeadLetterQueue"}
    assert set(map(str, encrypted.values())) == {str(KEY)}
    assert template.resources["PipelineKey"]["Properties"]["EnableKeyRotation"] is True


def _key_grants(template: Template) -> list[dict[str, Any]]:
    statements: list[dict[str, Any]] = template.resources["PipelineKey"]["Properties"]["KeyPolicy"][
        "Statement"
    ]
    return statements


def test_the_key_lets_alarms_rules_and_logs_use_it(template: Template) -> None:
    # Given the key policy's statements for services
    grants = {
        str(service): set(as_list(statement["Action"]))
        for statement in _key_grants(template)
        if "Service" in statement["Principal"]
        for service in as_list(statement["Principal"]["Service"])
    }

    # Then CloudWatch alarms and EventBridge can publish to the encrypted topic and queue
    for service in ("cloudwatch.amazonaws.com", "events.amazonaws.com"):
        assert {"kms:Decrypt", "kms:GenerateDataKey*"} <= grants[service], service
    # And CloudWatch Logs of the stack's region can encrypt the log groups
    logs = str({"Fn::Sub": "logs.${AWS::Region}.amazonaws.com"})
    assert {"kms:Encrypt*", "kms:Decrypt*", "kms:GenerateDataKey*"} <= grants[logs]
    # And the state machine, which publishes the results, may use the key too
    machine = template.resources["PipelineStateMachine"]
    kms = [s for s in policy_statements(machine) if any(a.startswith("kms:") for a in as_list(s["Action"]))]
    assert [(set(as_list(s["Action"])), s["Resource"]) for s in kms] == [
        ({"kms:Decrypt", "kms:GenerateDataKey*"}, KEY_ARN)
    ]


def test_every_log_group_is_kept_for_the_retention_parameter_and_encrypted(template: Template) -> None:
    # Given the log groups, and where each function and the state machine log
    groups = {name: r for name, r in template.resources.items() if r["Type"] == "AWS::Logs::LogGroup"}
    used = {template.resources[f]["Properties"]["LoggingConfig"]["LogGroup"]["Ref"] for f in FUNCTIONS}
    machine_logs = template.resources["PipelineStateMachine"]["Properties"]["Logging"]["Destinations"]

    # Then each function has a log group of its own, and the state machine logs into the last one
    assert len(used) == len(FUNCTIONS)
    assert set(groups) == used | {"StateMachineLogGroup"}
    assert machine_logs == [
        {"CloudWatchLogsLogGroup": {"LogGroupArn": {"Fn::GetAtt": ["StateMachineLogGroup", "Arn"]}}}
    ]
    # And every one keeps its logs for the LogRetentionDays parameter, 90 days unless told, encrypted
    for name, group in groups.items():
        assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}, name
        assert group["Properties"]["KmsKeyId"] == KEY_ARN, name
    assert template.body["Parameters"]["LogRetentionDays"]["Default"] == 90


def test_the_upload_buckets_access_logs_go_to_a_logging_bucket_it_may_write(template: Template) -> None:
    # Given the upload bucket's logging and the logging bucket's policy
    logging = template.resources["UploadBucket"]["Properties"]["LoggingConfiguration"]
    policy = template.resources["AccessLogBucketPolicy"]["Properties"]

    # Then S3 delivers the logs, for this bucket only, under the prefix the bucket names
    assert logging["DestinationBucketName"] == {"Ref": "AccessLogBucket"}
    assert policy["Bucket"] == {"Ref": "AccessLogBucket"}
    (delivery,) = [s for s in policy["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"]
    assert delivery["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert delivery["Resource"] == {"Fn::Sub": "${AccessLogBucket.Arn}/" + logging["LogFilePrefix"] + "*"}
    assert delivery["Condition"]["ArnLike"]["aws:SourceArn"] == BUCKET_ARN


def _metric(alarm: dict[str, Any]) -> tuple[str, str, Any]:
    properties = alarm["Properties"]
    (dimension,) = properties["Dimensions"]
    return properties["Namespace"], properties["MetricName"], dimension["Value"]


def test_failed_timed_out_and_aborted_executions_alarm_the_operator(template: Template) -> None:
    # Given the alarm on the state machine's executions
    properties = template.resources["FailedExecutionsAlarm"]["Properties"]
    metrics = {m["Id"]: m for m in properties["Metrics"]}

    # Then it adds up the three ways an execution ends badly, of this state machine
    stats = {m["MetricStat"]["Metric"]["MetricName"]: m for m in metrics.values() if "MetricStat" in m}
    assert set(stats) == {"ExecutionsFailed", "ExecutionsTimedOut", "ExecutionsAborted"}
    for metric in stats.values():
        assert metric["MetricStat"]["Metric"]["Namespace"] == "AWS/States"
        assert metric["MetricStat"]["Metric"]["Dimensions"] == [
            {"Name": "StateMachineArn", "Value": STATE_MACHINE}
        ]
        assert metric["MetricStat"]["Stat"] == "Sum"
        assert metric["ReturnData"] is False
    (returned,) = [m for m in metrics.values() if m.get("ReturnData", True)]
    assert all(f"FILL({metric['Id']}, 0)" in returned["Expression"] for metric in stats.values())
    # And one such execution is enough to tell the operator topic
    assert properties["Threshold"] == 1
    assert properties["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert properties["TreatMissingData"] == "notBreaching"
    assert properties["AlarmActions"] == [OPERATOR_TOPIC]


def test_an_event_left_in_the_dead_letter_queue_alarms_the_operator(template: Template) -> None:
    # Given the rule's dead-letter queue, the queue's policy and the alarm
    (event,) = template.resources["PipelineStateMachine"]["Properties"]["Events"].values()
    queue_policy = template.resources["UploadDeadLetterQueuePolicy"]["Properties"]
    alarm = template.resources["DeadLetterAlarm"]

    # Then the rule retries for a day and then parks the event in the queue, which only that rule may fill
    assert event["Properties"]["DeadLetterConfig"] == {
        "Arn": {"Fn::GetAtt": ["UploadDeadLetterQueue", "Arn"]}
    }
    assert event["Properties"]["RetryPolicy"]["MaximumEventAgeInSeconds"] == 86400
    (grant,) = queue_policy["PolicyDocument"]["Statement"]
    assert grant["Principal"] == {"Service": "events.amazonaws.com"}
    assert grant["Condition"]["ArnEquals"]["aws:SourceArn"] == {
        "Fn::GetAtt": ["PipelineStateMachineUploadCreated", "Arn"]
    }
    # And one message waiting there tells the operator topic
    assert _metric(alarm) == (
        "AWS/SQS",
        "ApproximateNumberOfMessagesVisible",
        {"Fn::GetAtt": ["UploadDeadLetterQueue", "QueueName"]},
    )
    assert alarm["Properties"]["Threshold"] == 1
    assert alarm["Properties"]["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert alarm["Properties"]["AlarmActions"] == [OPERATOR_TOPIC]


def test_the_no_upload_alarm_is_off_by_default_and_counts_hours_without_a_start(template: Template) -> None:
    # Given the optional alarm, its condition and its parameter
    alarm = template.resources["NoUploadAlarm"]
    hours = template.body["Parameters"]["NoUploadAlarmHours"]

    # Then it exists only when NoUploadAlarmHours is not 0, which is the default
    assert alarm["Condition"] == "HasNoUploadAlarm"
    assert template.body["Conditions"]["HasNoUploadAlarm"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "NoUploadAlarmHours"}, 0]}]
    }
    assert hours["Default"] == 0
    # And it alarms when every one of those hours started no execution, an hour without data included
    properties = alarm["Properties"]
    assert _metric(alarm) == ("AWS/States", "ExecutionsStarted", STATE_MACHINE)
    assert (properties["Statistic"], properties["Period"]) == ("Sum", 3600)
    assert properties["EvaluationPeriods"] == properties["DatapointsToAlarm"] == {"Ref": "NoUploadAlarmHours"}
    assert (properties["ComparisonOperator"], properties["Threshold"]) == ("LessThanThreshold", 1)
    assert properties["TreatMissingData"] == "breaching"
    assert properties["AlarmActions"] == [OPERATOR_TOPIC]
    # And CloudWatch refuses an alarm over more than 7 days of hourly periods
    assert hours["MaxValue"] * properties["Period"] <= 7 * 24 * 3600


def test_the_operator_is_subscribed_only_when_an_address_is_given(template: Template) -> None:
    # Given the operator topic's subscription
    subscription = template.resources["OperatorEmailSubscription"]
    # Then it exists only with an OperatorEmail, which is empty by default
    assert subscription["Condition"] == "HasOperatorEmail"
    assert subscription["Properties"]["TopicArn"] == OPERATOR_TOPIC
    assert subscription["Properties"]["Endpoint"] == {"Ref": "OperatorEmail"}
    assert template.body["Parameters"]["OperatorEmail"]["Default"] == ""


def test_every_checkov_skip_gives_its_reason_on_one_line(template: Template) -> None:
    # Given every check the template skips
    skips = [
        (name, skip)
        for name, resource in template.resources.items()
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
    ]
    # Then only the three that do not fit a function, and the logging bucket's own logging, are skipped
    assert {skip["id"] for _, skip in skips} == {"CKV_AWS_116", "CKV_AWS_117", "CKV_AWS_173", "CKV_AWS_18"}
    assert {name for name, skip in skips if skip["id"] == "CKV_AWS_18"} == {"AccessLogBucket"}
    # And each says why, in one line
    for name, skip in skips:
        assert skip["comment"].strip() and "\n" not in skip["comment"].strip(), (name, skip["id"])


def test_each_function_has_a_reserved_concurrency(template: Template) -> None:
    # Given the functions' Globals
    defaults = template.body["Globals"]["Function"]
    # Then each function's concurrency is the FunctionConcurrency parameter, unless it sets its own
    assert defaults["ReservedConcurrentExecutions"] == {"Ref": "FunctionConcurrency"}
    assert all("ReservedConcurrentExecutions" not in template.resources[f]["Properties"] for f in FUNCTIONS)


def test_only_the_transform_and_van_push_functions_touch_the_export_ledger_and_nothing_expires_it(
    template: Template,
) -> None:
    # Given every statement of the functions' and the state machine's roles, and the bucket's lifecycle
    granted = {
        name: [
            resource
            for s in policy_statements(resource_)
            for resource in as_list(s["Resource"])
            if "/ledger/" in str(resource)
        ]
        for name, resource_ in template.resources.items()
        if resource_["Type"] in {"AWS::Serverless::Function", "AWS::Serverless::StateMachine"}
    }
    bucket = template.resources["UploadBucket"]["Properties"]
    rules = bucket["LifecycleConfiguration"]["Rules"]

    # Then only the transform function claims and commits in the ledger, and the VAN push function
    # only rewrites its day shards (to give back the calls VAN did not record); both are told where it is
    assert {name: found for name, found in granted.items() if found} == {
        "TransformFunction": [_objects("ledger/*")],
        "VanPushFunction": [LEDGER_SHARDS],
    }
    for function in ("TransformFunction", "VanPushFunction"):
        environment = template.resources[function]["Properties"]["Environment"]["Variables"]
        assert environment["PHONEBANK_LEDGER_URI"] == {"Fn::Sub": "s3://${UploadBucket}/ledger/"}
    # And no role may write the whole bucket, so no other can reach ledger/ by a wider grant
    everything = _objects("*")
    assert [s for s in every_policy_statement(template) if everything in as_list(s["Resource"])] == []
    # And the bucket is versioned and encrypted, and no rule expires a current ledger object
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    for rule in rules:
        covers_the_ledger = "ledger/".startswith(rule.get("Prefix", ""))
        assert not (covers_the_ledger and {"ExpirationInDays", "ExpirationDate"} & set(rule)), rule["Id"]
    # And the versions each run replaces are kept LedgerHistoryDays, 30 unless told: the ledger's history
    (history,) = [rule for rule in rules if rule.get("Prefix") == "ledger/"]
    assert history["NoncurrentVersionExpiration"] == {"NoncurrentDays": {"Ref": "LedgerHistoryDays"}}
    assert template.body["Parameters"]["LedgerHistoryDays"]["Default"] == 30
