"""The generated gRPC contracts of spotex; see docs/protos.md."""
