output "lake_uri" {
  description = "D2D_LAKE for runs outside the runner (e.g. an Airflow worker)."
  value       = "s3://${aws_s3_bucket.lake.bucket}/${local.lake_prefix}"
}

output "warehouse_uri" {
  description = "D2D_WAREHOUSE without the password (it is in the RDS-managed secret)."
  value       = "postgresql://etl@${aws_db_instance.warehouse.endpoint}/analytics?sslmode=require"
}

output "warehouse_password_secret_arn" {
  description = "Secrets Manager secret holding the warehouse password (JSON key `password`)."
  value       = aws_db_instance.warehouse.master_user_secret[0].secret_arn
}

output "task_role_arn" {
  description = "IAM role d2d runs as in the task (S3 source read, lake read/write); give one-off `d2d backfill` tasks the same role."
  value       = aws_iam_role.task.arn
}

output "ecs_cluster" {
  description = "Cluster of the d2d serve task (for ECS Exec or one-off `d2d backfill` tasks)."
  value       = aws_ecs_cluster.runner.name
}

output "log_group" {
  description = "CloudWatch log group of the runner (JSON lines)."
  value       = aws_cloudwatch_log_group.runner.name
}

output "serve_token_secret_arn" {
  description = "Secrets Manager secret holding the token the status page requires (bearer, or the HTTP Basic password)."
  value       = aws_secretsmanager_secret.serve_token.arn
}
