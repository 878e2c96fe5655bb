"""smsync: manage a web2sms gateway account from YAML, Terraform-style."""

__version__ = "0.1.0"
