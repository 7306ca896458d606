// deploy/terraform checked without Terraform (node --test; ctest: deploy_terraform_refs): every
// reference resolves, and the runner holds no long-lived key and no secret in the state. The
// fixtures prove the checks can fail: each kind of dangling reference, and the keyed runner of old.
import assert from "node:assert/strict";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { checkNoKeys, checkReferences } from "./terraform_refs.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const deployed = path.join(here, "../../../deploy/terraform");

test("deploy/terraform: every reference is declared", async () => {
  assert.deepEqual(await checkReferences(deployed), []);
});

test("deploy/terraform: no IAM user, no access key, no secret in the state, a task role", async () => {
  assert.deepEqual(await checkNoKeys(deployed), []);
});

test("a dangling reference of each kind is reported, and only those", async () => {
  assert.deepEqual(await checkReferences(path.join(here, "fixtures/dangling")), [
    "main.tf: aws_s3_bucket.lakes is referenced but not declared",
    "main.tf: data.aws_caller_identity.currents is referenced but not declared",
    "main.tf: local.prefixes is referenced but not declared",
    "main.tf: module.child.names: module child has no output names",
    "main.tf: module.children is referenced but not declared",
    "main.tf: var.buckets is referenced but not declared",
  ]);
});

test("the keyed runner of old is refused on every count", async () => {
  assert.deepEqual(await checkNoKeys(path.join(here, "fixtures/keys")), [
    "aws_ecs_task_definition.serve: AWS keys handed to the container (the task role provides credentials)",
    'aws_ecs_task_definition.serve: PGPASSWORD must come from Secrets Manager (secrets = [{ name = "PGPASSWORD", valueFrom = ... }])',
    "aws_ecs_task_definition.serve: no task_role_arn (d2d's S3 credentials come from it)",
    "aws_iam_access_key.runner: no IAM users or access keys (use a role)",
    "aws_iam_user.runner: no IAM users or access keys (use a role)",
    "aws_secretsmanager_secret_version.key: secret_string is kept in the state (use secret_string_wo)",
    "random_password.token: its result is kept in the state (use an ephemeral random_password)",
  ]);
});
