from services.common.process import run_service
from services.order.main import run

run_service("order", run)
