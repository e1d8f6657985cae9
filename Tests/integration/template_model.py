"""template.yaml as AWS would see it, without AWS: translated to plain CloudFormation by
aws-sam-translator (the SAM transform, which cfn-lint brings), then evaluated for one set of
parameter values: conditions decided, resources whose condition is false dropped, intrinsic
functions (Ref, Fn::Sub, Fn::GetAtt, Fn::FindInMap, Fn::If, Fn::Select, Fn::Split, Fn::Join) resolved to
strings, with made-up but well-formed physical names and ARNs for the stack's resources.

Enough to ask "may this role do this action on this resource" (`Role.decides`) the way IAM
decides it for identity policies without conditions: an explicit Deny wins, else an Allow whose
Action and Resource patterns match (`*` and `?`, actions case-insensitive), else denied.
Statements with a Condition or with NotAction/NotResource are refused outright rather than
guessed at: the template must not grow them unnoticed."""

from __future__ import annotations

import fnmatch
import json
import re
from dataclasses import dataclass
from pathlib import Path

import cfnlint.decode as cfnlint_decode
import boto3
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator

ACCOUNT = "123456789012"
REGION = "eu-west-1"
STACK = "imagecat"
REQUIRED = {"Issuer": "https://example-tenant.eu.auth0.com/", "Audience": "https://imagecat.example.com/api"}


class _NoManagedPolicies:
    """The template names no managed policy; the translator must never need one."""

    def load(self):
        raise AssertionError("template.yaml must not use managed policies")


def load(template_path: Path) -> dict:
    decoded, problems = cfnlint_decode.decode(str(template_path))
    assert not problems, problems
    return json.loads(json.dumps(decoded, default=str))


def translate(template_path: Path, parameters: dict[str, str]) -> dict:
    """Plain CloudFormation, as the SAM transform makes it (a local CodeUri becomes an S3 one,
    as `aws cloudformation package` would make it)."""
    source = load(template_path)
    for resource in source["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = "s3://artifacts-bucket/bootstrap.zip"
    # What samtranslator.translator.transform.transform does, with a session that names the
    # region (the translator asks boto3 for one; no credentials, no request).
    translator = Translator(None, Parser(), boto_session=boto3.session.Session(region_name=REGION))
    return translator.translate(source, parameter_values={**REQUIRED, **parameters},
                                get_managed_policy_map=_NoManagedPolicies().load)


class Stack:
    """A translated template evaluated for parameter values (defaults for those not given)."""

    def __init__(self, template_path: Path, **parameters: str):
        self.cfn = translate(template_path, parameters)
        self.parameters = {name: str(spec.get("Default", "")) for name, spec in self.cfn["Parameters"].items()}
        self.parameters.update(REQUIRED)
        self.parameters.update(parameters)
        self.pseudo = {"AWS::AccountId": ACCOUNT, "AWS::Region": REGION, "AWS::StackName": STACK,
                       "AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com", "AWS::NoValue": None}
        self._conditions: dict[str, bool] = {}
        self.resources = {name: r for name, r in self.cfn["Resources"].items()
                          if "Condition" not in r or self.condition(r["Condition"])}
        self._physical: dict[str, str] = {}

    # -- conditions -------------------------------------------------------------------------------

    def condition(self, name: str) -> bool:
        if name not in self._conditions:
            self._conditions[name] = self._decide(self.cfn["Conditions"][name])
        return self._conditions[name]

    def _decide(self, node) -> bool:
        [(function, argument)] = node.items()
        if function == "Condition":
            return self.condition(argument)
        if function == "Fn::Equals":
            left, right = (self.resolve(a) for a in argument)
            return left == right
        if function == "Fn::Not":
            return not self._decide(argument[0])
        if function == "Fn::Or":
            return any(self._decide(a) for a in argument)
        if function == "Fn::And":
            return all(self._decide(a) for a in argument)
        raise AssertionError(f"unknown condition function {function}")

    # -- values ------------------------------------------------------------------------------------

    _NAME_PROPERTY = {"AWS::Lambda::Function": "FunctionName", "AWS::S3::Bucket": "BucketName",
                      "AWS::SQS::Queue": "QueueName", "AWS::IAM::Role": "RoleName",
                      "AWS::CloudWatch::Dashboard": "DashboardName", "AWS::Logs::LogGroup": "LogGroupName"}

    def physical(self, name: str) -> str:
        """The resource's name: the one the template gives it, else one CloudFormation would make."""
        if name not in self._physical:
            resource = self.resources[name]
            key = self._NAME_PROPERTY.get(resource["Type"])
            given = resource.get("Properties", {}).get(key) if key else None
            self._physical[name] = self.resolve(given) if given is not None else f"{STACK}-{name}-ABCDEF123456"
        return self._physical[name]

    def arn(self, name: str) -> str:
        kind = self.resources[name]["Type"]
        physical = self.physical(name)
        return {
            "AWS::S3::Bucket": f"arn:aws:s3:::{physical}",
            "AWS::SQS::Queue": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{physical}",
            "AWS::Lambda::Function": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{physical}",
            "AWS::IAM::Role": f"arn:aws:iam::{ACCOUNT}:role/{physical}",
            "AWS::SNS::Topic": f"arn:aws:sns:{REGION}:{ACCOUNT}:{physical}",
            "AWS::Logs::LogGroup": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{physical}:*",
        }[kind]

    def ref(self, name: str):
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        assert name in self.resources, f"Ref to {name}, which does not exist with these parameters"
        kind = self.resources[name]["Type"]
        if kind == "AWS::SQS::Queue":
            return f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{self.physical(name)}"
        if kind == "AWS::SNS::Topic":
            return self.arn(name)
        return self.physical(name)

    def get_att(self, name: str, attribute: str) -> str:
        assert name in self.resources, f"GetAtt of {name}, which does not exist with these parameters"
        if attribute == "Arn":
            return self.arn(name)
        if attribute == "QueueName":
            return self.physical(name)
        if attribute == "DomainName":
            return "d111111abcdef8.cloudfront.net"
        if attribute == "RegionalDomainName":
            return f"{self.physical(name)}.s3.{REGION}.amazonaws.com"
        if attribute == "Id":
            return f"{name}-id"
        raise AssertionError(f"unknown attribute {name}.{attribute}")

    def _sub(self, text: str, variables: dict) -> str:
        def one(match):
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                return str(self.resolve(variables[name]))
            if "." in name and name.split(".")[0] in self.cfn["Resources"]:
                return self.get_att(*name.split(".", 1))
            return str(self.ref(name))
        return re.sub(r"\$\{([^}]+)\}", one, text)

    def resolve(self, node):
        """`node` with every intrinsic function evaluated; `None` for AWS::NoValue, which lists
        and objects drop."""
        if isinstance(node, list):
            return [v for v in (self.resolve(item) for item in node) if v is not None]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            [(key, argument)] = node.items()
            if key == "Ref":
                return self.ref(argument)
            if key == "Fn::GetAtt":
                name, attribute = argument if isinstance(argument, list) else argument.split(".", 1)
                return self.get_att(name, attribute)
            if key == "Fn::Sub":
                text, variables = (argument, {}) if isinstance(argument, str) else argument
                return self._sub(text, variables)
            if key == "Fn::FindInMap":
                table, top, second = (self.resolve(part) for part in argument)
                return self.cfn["Mappings"][table][str(top)][second]
            if key == "Fn::If":
                name, yes, no = argument
                return self.resolve(yes if self.condition(name) else no)
            if key == "Fn::Select":
                index, items = argument
                return self.resolve(items)[int(self.resolve(index))]
            if key == "Fn::Split":
                separator, text = argument
                return self.resolve(text).split(separator)
            if key == "Fn::Join":
                separator, items = argument
                return separator.join(self.resolve(items))
        return {k: v for k, v in ((k, self.resolve(v)) for k, v in node.items()) if v is not None}

    def of_type(self, kind: str) -> dict[str, dict]:
        return {name: self.resolve(r) for name, r in self.resources.items() if r["Type"] == kind}

    def role(self, name: str) -> "Role":
        resolved = self.resolve(self.resources[name])
        statements = []
        for policy in resolved["Properties"].get("Policies", []):
            document = policy["PolicyDocument"]
            statements += document["Statement"] if isinstance(document["Statement"], list) else [document["Statement"]]
        assert not resolved["Properties"].get("ManagedPolicyArns"), name
        return Role(name, statements)


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


@dataclass
class Role:
    name: str
    statements: list[dict]

    def __post_init__(self):
        for statement in self.statements:
            assert set(statement) <= {"Sid", "Effect", "Action", "Resource"}, \
                f"{self.name}: a statement this model cannot judge: {statement}"

    @staticmethod
    def _matches(statement: dict, action: str, resource: str) -> bool:
        actions = _as_list(statement["Action"])
        resources = _as_list(statement["Resource"])
        return (any(fnmatch.fnmatchcase(action.lower(), pattern.lower()) for pattern in actions)
                and any(fnmatch.fnmatchcase(resource, pattern.replace("[", "[[]")) for pattern in resources))

    def decides(self, action: str, resource: str) -> bool:
        """True when IAM allows `action` on `resource` for this role."""
        matching = [s for s in self.statements if self._matches(s, action, resource)]
        if any(s["Effect"] == "Deny" for s in matching):
            return False
        return any(s["Effect"] == "Allow" for s in matching)
