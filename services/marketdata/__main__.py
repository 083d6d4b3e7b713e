from services.common.process import run_service
from services.marketdata.main import run

run_service("marketdata", run)
