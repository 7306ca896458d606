variable "region" {
  description = "AWS region of the lake, the warehouse and the runner."
  type        = string
  default     = "eu-central-1"
}

variable "environment" {
  description = "Name of this deployment (prod, staging); part of every resource name."
  type        = string
  default     = "prod"
}

variable "vpc_id" {
  description = "VPC the warehouse and the runner live in (this module creates no network)."
  type        = string
}

variable "private_subnet_ids" {
  description = "At least two private subnets (different AZs) with a NAT or VPC endpoints for S3, ECR and logs."
  type        = list(string)
}

variable "source_bucket" {
  description = "The bucket the stream writer drops events into (read only for d2d)."
  type        = string
}

variable "source_prefix" {
  description = "Key prefix of the events in the source bucket, with a trailing slash, or empty."
  type        = string
  default     = ""
}

variable "lake_bucket_name" {
  description = "Name of the lake bucket this module creates."
  type        = string
}

variable "raw_zone_transition_days" {
  description = "Days after which lake objects move to S3 Standard-IA (they are read again only by backfills)."
  type        = number
  default     = 30
}

variable "noncurrent_version_expiration_days" {
  description = "Days a replaced or deleted lake object version is kept."
  type        = number
  default     = 90
}

variable "db_instance_class" {
  description = "RDS instance class of the warehouse."
  type        = string
  default     = "db.t4g.medium"
}

variable "db_allocated_storage_gb" {
  description = "Initial warehouse storage; autoscaling may grow it up to db_max_allocated_storage_gb."
  type        = number
  default     = 50
}

variable "db_max_allocated_storage_gb" {
  description = "Upper bound of storage autoscaling."
  type        = number
  default     = 500
}

variable "image" {
  description = "The door2door-etl image (built from deploy/Dockerfile), e.g. <account>.dkr.ecr.<region>.amazonaws.com/door2door-etl:0.1.0."
  type        = string
}

variable "schedule_at" {
  description = "Local time of the daily run (d2d serve --at)."
  type        = string
  default     = "02:00"
}

variable "schedule_tz" {
  description = "Time zone of schedule_at (d2d serve --tz)."
  type        = string
  default     = "Europe/Berlin"
}

variable "runner_cpu" {
  description = "Fargate CPU units of the runner (1024 = one vCPU)."
  type        = number
  default     = 1024
}

variable "runner_memory_mb" {
  description = "Fargate memory of the runner."
  type        = number
  default     = 2048
}

variable "serve_token_version" {
  description = "Raise to write a new status page token into its secret (the token itself is never in the state)."
  type        = number
  default     = 1
}
