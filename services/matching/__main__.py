from services.common.process import run_service
from services.matching.main import run

run_service("matching", run)
