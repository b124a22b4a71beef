"""Code generated from proto/tagwire/v1 by scripts/gen-proto. DO NOT EDIT."""
