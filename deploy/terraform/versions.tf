terraform {
  # 1.11: ephemeral resources and write-only arguments (the serve token never reaches the state).
  required_version = ">= 1.11"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.90" # secret_string_wo
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.7" # ephemeral random_password
    }
  }
}

provider "aws" {
  region = var.region
  default_tags {
    tags = {
      project = "door2door-etl"
      env     = var.environment
    }
  }
}
