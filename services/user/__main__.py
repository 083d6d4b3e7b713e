from services.common.process import run_service
from services.user.main import run

run_service("user", run)
