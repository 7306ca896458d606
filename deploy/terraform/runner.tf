# The runner: one Fargate task running `d2d serve` (the daily schedule, catch-up and retries are
# d2d's own), in private subnets, with no inbound access.
#
# Credentials: no IAM user and no access key. The task role below carries the S3 permissions; ECS
# hands its temporary credentials to the container through the container credentials endpoint
# (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI), which d2d's credential chain reads and refreshes before
# they expire. The secrets the task needs (the warehouse password, the status page token) reach it
# as environment variables through the task definition's `secrets`, read by the execution role;
# neither value is in the Terraform state.

locals {
  name        = "d2d-${var.environment}"
  lake_prefix = "door2door/"
}

data "aws_caller_identity" "current" {}

# Least privilege, one statement per need: the source is read (list the prefix, get its objects),
# the lake is read and written under its prefix. Nothing is ever deleted by d2d (no
# s3:DeleteObject); s3:AbortMultipartUpload cleans up a failed large upload.
data "aws_iam_policy_document" "runner_s3" {
  statement {
    sid       = "ListSourcePrefix"
    actions   = ["s3:ListBucket"]
    resources = ["arn:aws:s3:::${var.source_bucket}"]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${var.source_prefix}*"]
    }
  }
  statement {
    sid       = "ReadSourceObjects"
    actions   = ["s3:GetObject"]
    resources = ["arn:aws:s3:::${var.source_bucket}/${var.source_prefix}*"]
  }
  statement {
    sid       = "ListLakePrefix"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.lake.arn]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${local.lake_prefix}*"]
    }
  }
  statement {
    sid       = "ReadWriteLakeObjects"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"]
    resources = ["${aws_s3_bucket.lake.arn}/${local.lake_prefix}*"]
  }
}

# Both roles are assumed by ECS tasks of this account only (the confused-deputy guard).
data "aws_iam_policy_document" "ecs_tasks_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

# The task role: what d2d itself may do (S3). Its credentials are temporary and never stored.
resource "aws_iam_role" "task" {
  name               = "${local.name}-task"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

resource "aws_iam_role_policy" "task_s3" {
  name   = "s3-source-read-lake-read-write"
  role   = aws_iam_role.task.id
  policy = data.aws_iam_policy_document.runner_s3.json
}

# The token the status page requires (serve binds every interface in the task, so it refuses to
# start without one). Generated as an ephemeral value and written to the secret through a
# write-only argument: it is in neither the plan nor the state. Rotate it by raising
# serve_token_version (or put a new value in the secret and restart the service).
ephemeral "random_password" "serve_token" {
  length  = 48
  special = false
}

resource "aws_secretsmanager_secret" "serve_token" {
  name = "${local.name}/serve-token"
}

resource "aws_secretsmanager_secret_version" "serve_token" {
  secret_id                = aws_secretsmanager_secret.serve_token.id
  secret_string_wo         = ephemeral.random_password.serve_token.result
  secret_string_wo_version = var.serve_token_version
}

# The execution role lets ECS pull the image, write logs and read exactly the two secrets the
# task definition injects; d2d never sees this role.
resource "aws_iam_role" "execution" {
  name               = "${local.name}-execution"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

resource "aws_iam_role_policy_attachment" "execution_ecr_logs" {
  role       = aws_iam_role.execution.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

data "aws_iam_policy_document" "execution_secrets" {
  statement {
    actions = ["secretsmanager:GetSecretValue"]
    resources = [
      aws_secretsmanager_secret.serve_token.arn,
      aws_db_instance.warehouse.master_user_secret[0].secret_arn,
    ]
  }
}

resource "aws_iam_role_policy" "execution_secrets" {
  name   = "read-task-secrets"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.execution_secrets.json
}

resource "aws_cloudwatch_log_group" "runner" {
  name              = "/ecs/${local.name}"
  retention_in_days = 30
}

resource "aws_security_group" "runner" {
  name        = "${local.name}-runner"
  description = "d2d serve: no inbound; HTTPS out (S3, ECR, logs) and PostgreSQL to the warehouse"
  vpc_id      = var.vpc_id
}

resource "aws_vpc_security_group_egress_rule" "runner_https" {
  security_group_id = aws_security_group.runner.id
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

resource "aws_vpc_security_group_egress_rule" "runner_postgres" {
  security_group_id            = aws_security_group.runner.id
  referenced_security_group_id = aws_security_group.warehouse.id
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
}

resource "aws_ecs_cluster" "runner" {
  name = local.name
}

resource "aws_ecs_task_definition" "serve" {
  family                   = "${local.name}-serve"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.runner_cpu
  memory                   = var.runner_memory_mb
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn
  container_definitions = jsonencode([{
    name      = "d2d"
    image     = var.image
    essential = true
    command   = ["serve", "--bind", "0.0.0.0", "--port", "8080", "--at", var.schedule_at, "--tz", var.schedule_tz]
    environment = [
      # sslmode=require: encrypted; verify-full needs the RDS CA bundle in the image.
      { name = "D2D_WAREHOUSE", value = "postgresql://etl@${aws_db_instance.warehouse.endpoint}/analytics?sslmode=require" },
      { name = "D2D_SOURCE", value = "s3://${var.source_bucket}/${var.source_prefix}" },
      { name = "D2D_LAKE", value = "s3://${aws_s3_bucket.lake.bucket}/${local.lake_prefix}" },
      { name = "D2D_LOG_FORMAT", value = "json" },
      { name = "AWS_REGION", value = var.region },
    ]
    # Read by the execution role when the task starts, set as environment variables in the
    # container: libpq's PGPASSWORD (the RDS-managed secret's `password` key) and serve's token.
    secrets = [
      { name = "PGPASSWORD", valueFrom = "${aws_db_instance.warehouse.master_user_secret[0].secret_arn}:password::" },
      { name = "D2D_SERVE_TOKEN", valueFrom = aws_secretsmanager_secret.serve_token.arn },
    ]
    portMappings = [{ containerPort = 8080, protocol = "tcp" }]
    healthCheck = {
      command     = ["CMD", "curl", "-fsS", "http://127.0.0.1:8080/healthz"]
      interval    = 30
      timeout     = 5
      retries     = 3
      startPeriod = 20
    }
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.runner.name
        awslogs-region        = var.region
        awslogs-stream-prefix = "serve"
      }
    }
  }])
}

# One scheduler at a time: a deployment stops the old task before starting the new one.
resource "aws_ecs_service" "serve" {
  name                               = "${local.name}-serve"
  cluster                            = aws_ecs_cluster.runner.id
  task_definition                    = aws_ecs_task_definition.serve.arn
  launch_type                        = "FARGATE"
  desired_count                      = 1
  deployment_minimum_healthy_percent = 0
  deployment_maximum_percent         = 100
  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [aws_security_group.runner.id]
    assign_public_ip = false
  }
}
