"""Consume the tasks queue, one message at a time, acking only after the handler succeeded."""

import json
import logging
import time

import pika
from pika.exceptions import AMQPConnectionError, ConnectionClosedByBroker

from . import health
from .settings import settings
from .tasks import handle

log = logging.getLogger(__name__)


def parameters() -> pika.ConnectionParameters:
    return pika.ConnectionParameters(
        host=settings.host,
        port=settings.port,
        virtual_host=settings.vhost,
        credentials=pika.PlainCredentials(settings.user, settings.password),
        heartbeat=settings.heartbeat,
        connection_attempts=settings.connection_attempts,
        retry_delay=settings.retry_delay,
    )


def on_message(channel, method, properties, body: bytes) -> None:
    try:
        handle(json.loads(body))
    except Exception:
        log.exception("task failed, dead-lettering it")
        channel.basic_nack(delivery_tag=method.delivery_tag, requeue=False)
        return
    channel.basic_ack(delivery_tag=method.delivery_tag)
    health.mark_progress()


def run() -> None:
    backoff = settings.retry_delay
    while True:
        try:
            connection = pika.BlockingConnection(parameters())
            channel = connection.channel()
            channel.queue_declare(queue=settings.queue, durable=True)
            channel.basic_qos(prefetch_count=settings.prefetch)
            channel.basic_consume(queue=settings.queue, on_message_callback=on_message)
            health.set_connected(True)
            backoff = settings.retry_delay
            log.info("consuming %s", settings.queue)
            channel.start_consuming()
        except ConnectionClosedByBroker:
            log.warning("broker closed the connection")
        except AMQPConnectionError:
            log.warning("cannot reach rabbitmq at %s:%s", settings.host, settings.port)
        finally:
            health.set_connected(False)
        log.info("reconnecting in %.0fs", backoff)
        time.sleep(backoff)
        backoff = min(backoff * 2, settings.reconnect_backoff_max)
