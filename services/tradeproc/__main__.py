from services.common.process import run_service
from services.tradeproc.main import run

run_service("tradeproc", run)
