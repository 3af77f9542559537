"""The pipeline on a local moto stack: the template's resources, the real handlers, no AWS account."""
