"""gRPC plumbing every spotex service shares: server bootstrap (server.py), one interceptor
per concern (access log, metrics, deadline propagation, error mapping), the error convention
(errors.py), inter-service channels (channel.py) and JSON logs (json_logs.py).

Import from the modules themselves; this package exports nothing, so that importing one of
them (say errors.py from a batch reply) does not start the others.
"""
