"""DynamoDB adapters (boto3). See docs/data-model.md for the tables and why they look so."""
