# The warehouse: RDS PostgreSQL 15, private, encrypted, its master password generated and kept
# by RDS in Secrets Manager (never in this state or in the task definition).
resource "aws_db_subnet_group" "warehouse" {
  name       = "d2d-${var.environment}"
  subnet_ids = var.private_subnet_ids
}

resource "aws_security_group" "warehouse" {
  name        = "d2d-${var.environment}-warehouse"
  description = "PostgreSQL, reachable from the d2d runner only"
  vpc_id      = var.vpc_id
}

resource "aws_vpc_security_group_ingress_rule" "warehouse_from_runner" {
  security_group_id            = aws_security_group.warehouse.id
  referenced_security_group_id = aws_security_group.runner.id
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
}

resource "aws_db_instance" "warehouse" {
  identifier                  = "d2d-${var.environment}"
  engine                      = "postgres"
  engine_version              = "15"
  instance_class              = var.db_instance_class
  allocated_storage           = var.db_allocated_storage_gb
  max_allocated_storage       = var.db_max_allocated_storage_gb
  storage_type                = "gp3"
  storage_encrypted           = true
  db_name                     = "analytics"
  username                    = "etl"
  manage_master_user_password = true
  db_subnet_group_name        = aws_db_subnet_group.warehouse.name
  vpc_security_group_ids      = [aws_security_group.warehouse.id]
  publicly_accessible         = false
  multi_az                    = var.environment == "prod"
  backup_retention_period     = 14
  deletion_protection         = true
  skip_final_snapshot         = false
  final_snapshot_identifier   = "d2d-${var.environment}-final"
  auto_minor_version_upgrade  = true
  apply_immediately           = false
}
