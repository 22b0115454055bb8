"""What every service process shares: lifespan (DB, migrations, producer, relay, consumer), errors, ops routes."""
from libs.runtime.app import Runtime, RuntimeDep, build_app, current_runtime, service_app

__all__ = ["Runtime", "RuntimeDep", "build_app", "current_runtime", "service_app"]
