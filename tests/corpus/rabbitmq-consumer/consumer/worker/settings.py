import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    host: str = os.environ.get("RABBITMQ_HOST", "localhost")
    port: int = int(os.environ.get("RABBITMQ_PORT", "5672"))
    vhost: str = os.environ.get("RABBITMQ_VHOST", "/")
    user: str = os.environ.get("RABBITMQ_USER", "guest")
    password: str = os.environ.get("RABBITMQ_PASSWORD", "guest")
    queue: str = os.environ.get("RABBITMQ_QUEUE", "tasks")
    prefetch: int = int(os.environ.get("RABBITMQ_PREFETCH", "10"))
    heartbeat: int = int(os.environ.get("RABBITMQ_HEARTBEAT", "60"))
    connection_attempts: int = int(os.environ.get("RABBITMQ_CONNECTION_ATTEMPTS", "5"))
    retry_delay: float = float(os.environ.get("RABBITMQ_RETRY_DELAY", "5"))
    reconnect_backoff_max: float = float(os.environ.get("RABBITMQ_RECONNECT_BACKOFF_MAX", "60"))
    health_port: int = int(os.environ.get("HEALTH_PORT", "8000"))


settings = Settings()
